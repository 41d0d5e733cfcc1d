public enum TernKernelsVersion { public static let value = 1 }
