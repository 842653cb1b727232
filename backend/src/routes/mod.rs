pub mod api;
pub mod content_events;
pub mod execute;
pub mod head;
pub mod room;
pub mod seo;
pub mod share;
pub mod spa;
