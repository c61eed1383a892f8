enum NetlinkKitPlaceholder {}
