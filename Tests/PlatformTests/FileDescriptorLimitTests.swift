import Platform
import Testing

/// How the open-file limit caps `maxConnections`.
@Suite("FileDescriptorLimit")
struct FileDescriptorLimitTests {
    /// A limit that holds the configured connections plus the reserve leaves them alone; a
    /// smaller one lowers them to what is left after the reserve, the listener and three
    /// descriptors per loop; an absurd one still allows one connection.
    @Test func connectionCeiling() {
        #expect(FileDescriptorLimit.connectionCeiling(configured: 10_000, descriptorLimit: 1_048_576, eventLoops: 2) == 10_000)
        #expect(FileDescriptorLimit.connectionCeiling(configured: 10_000, descriptorLimit: 1024, eventLoops: 2)
                == 1024 - FileDescriptorLimit.reserve - 1 - 6)
        #expect(FileDescriptorLimit.connectionCeiling(configured: 10_000, descriptorLimit: .max, eventLoops: 8) == 10_000)
        #expect(FileDescriptorLimit.connectionCeiling(configured: 10_000, descriptorLimit: 10, eventLoops: 1) == 1)
    }

    /// Raising is idempotent and never lowers the limit.
    @Test func raiseToHardLimit() {
        let first = FileDescriptorLimit.raiseToHardLimit()
        #expect(first >= 64)
        #expect(FileDescriptorLimit.raiseToHardLimit() == first)
    }
}

/// The spare descriptor is lent only while it holds one.
@Suite("SpareDescriptor")
struct SpareDescriptorTests {
    /// A spare lends (runs the body) each time, having taken its descriptor back; once
    /// closed it has nothing to lend and the body does not run.
    @Test func lendsOnlyWhileHeld() {
        var spare = SpareDescriptor()
        var lent = 0
        spare.lend { lent += 1 }
        spare.lend { lent += 1 }
        #expect(lent == 2)
        spare.close()
        spare.lend { lent += 1 }
        #expect(lent == 2)
    }
}
