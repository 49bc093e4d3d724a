/// `JSONDocument` is part of this module's API (a job's `request`, a training request's
/// `raw`), so its module comes with this one.
@_exported import JSON
