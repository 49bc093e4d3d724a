#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the MNIST files live when nobody says: `mnist-cnn data download` writes them to
/// `$XDG_DATA_HOME/mnist-cnn/mnist` (`~/.local/share/mnist-cnn/mnist` without it, the XDG
/// Base Directory default), and `serve`, `train`, `evaluate` and the tests look there when
/// `MNIST_DIR` is unset, so a newcomer downloads once and every command finds the data.
public enum MNISTDirectory {
    /// The four files a complete MNIST directory holds (each may also be gzipped, `.gz`).
    public static let fileStems = [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ]

    /// The per-user data directory for MNIST, whether or not it exists yet; nil when neither
    /// `XDG_DATA_HOME` nor `HOME` is set to an absolute path.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/mnist-cnn/mnist"
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return home + "/.local/share/mnist-cnn/mnist"
        }
        return nil
    }

    /// `MNIST_DIR` when set; otherwise the default directory when it holds all four files;
    /// otherwise nil.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["MNIST_DIR"], !explicit.isEmpty { return explicit }
        guard let path = defaultPath(environment: environment), isComplete(path) else { return nil }
        return path
    }

    /// Whether `path` holds all four MNIST files, plain or gzipped.
    public static func isComplete(_ path: String) -> Bool {
        fileStems.allSatisfy { stem in
            FileManager.default.fileExists(atPath: path + "/" + stem)
                || FileManager.default.fileExists(atPath: path + "/" + stem + ".gz")
        }
    }
}
