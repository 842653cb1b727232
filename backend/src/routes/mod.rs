pub mod api;
pub mod content_events;
pub mod embed;
pub mod execute;
pub mod head;
pub mod seo;
pub mod share;
pub mod spa;
