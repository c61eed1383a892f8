print("vnf-ipsec: under construction")
