pub mod api;
pub mod spa;
