pub mod api;
pub mod execute;
pub mod spa;
