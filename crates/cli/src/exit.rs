//! Exit codes, documented in `assent --help` and README.md.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Exit {
    /// Success; for `exec`, the child's own status is returned instead.
    Ok = 0,
    /// A runtime error (I/O, store, bad arguments after parsing).
    Error = 1,
    /// Usage error (clap prints the help).
    #[allow(dead_code)]
    Usage = 2,
    /// The policy could not be loaded or is invalid.
    Policy = 3,
    /// `exec`: the action was denied (by policy or by a person).
    Denied = 77,
    /// `exec`: nobody answered before the deadline.
    TimedOut = 78,
    /// `audit verify`: the hash chain is broken.
    Tampered = 65,
}
