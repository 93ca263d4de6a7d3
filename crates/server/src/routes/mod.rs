//! One file per area of the API. Each adds its routes in `crate::api` with one line.

pub mod meta;
pub mod policy;
