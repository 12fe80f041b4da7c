//! Benchmarks of Portal. Run them with `cargo bench -p portal-benches`; each bench
//! measures a baseline in the same run and the results are recorded in `README.md`
//! with the command that produced them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
