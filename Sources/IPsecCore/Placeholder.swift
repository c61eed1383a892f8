enum IPsecCorePlaceholder {}
