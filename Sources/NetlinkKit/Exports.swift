// NetlinkKit speaks in the shared address types; callers need no second import for them.
@_exported import IPAddresses
