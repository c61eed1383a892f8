/// This build's version, as `--version`, the metrics' build_info and the logs show it. Set at release time.
public enum GatewayVersion {
    public static let current = "0.4.0"
}
