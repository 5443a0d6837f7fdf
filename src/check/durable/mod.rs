//! The durable state as the checker reads it, independently of the adapter: its own key
//! layout parser and value decoder (written from the documented format), an incrementally
//! updated decoded mirror, and the check of the mirror against the model.

mod compare;
mod decode;
mod layout;
mod mirror;

pub use compare::{check_durable, Scope};
pub use decode::decode_stored;
pub use layout::{parse_key, StoredKey};
pub use mirror::{Change, Changed, DurableMirror, MirrorAgent, Stored};
