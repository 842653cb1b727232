//! One file per page; the routes that lead to them are listed in `App`.

pub mod chapter;
pub mod course;
pub mod course_index;
pub mod dashboard;
pub mod join;
pub mod not_found;
pub mod present;
pub mod present_console;
pub mod share;
pub mod teach;
