//! Reading a violation's evidence text for the picture: the operations it names (`op#ID`) and
//! the key it is about.
//!
//! Evidence is written for a human reader (see `check::Model::describe`): it starts with the
//! judged operation (`op#7 load_agent('agent-0') task=1 ...`) or the entity
//! (`agent 'agent-0' does not exist ...`, `tool 'x': ...`, `key '...' is outside ...`), and ends
//! with the entity's history, each operation as `op#ID`; a durable check's evidence opens with
//! the check (`recovery 2: `). Ids may contain quotes, so the key is
//! the longest reading that ends where the evidence's own punctuation resumes.

/// Entity words that open evidence about a stored entity rather than one operation.
const ENTITY_WORDS: [&str; 4] = ["agent '", "tool '", "key '", "block '"];

/// What closes a quoted id in evidence: the quote, then the evidence's own punctuation.
const CLOSERS: [&str; 5] = ["')", "', ", "': ", "' ", "';"];

/// The ids of the operations `evidence` names, in the order first named, without repeats.
pub fn referenced_ops(evidence: &str) -> Vec<u64> {
    let mut ops: Vec<u64> = Vec::new();
    let mut rest = evidence;
    while let Some(at) = rest.find("op#") {
        rest = &rest[at + 3..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(op) = rest[..digits].parse::<u64>() {
            if !ops.contains(&op) {
                ops.push(op);
            }
        }
        rest = &rest[digits..];
    }
    ops
}

/// The quoted id that starts right after `open` in `text`, up to the first closer.
fn quoted_after(text: &str, open: usize) -> Option<&str> {
    let body = &text[open..];
    CLOSERS
        .iter()
        .filter_map(|closer| body.find(closer))
        .min()
        .map(|end| &body[..end])
}

/// The key the violation is about: the entity the evidence opens with, or the first quoted
/// argument of the operation it opens with, after the check that found it (`recovery 2: `,
/// `final: `) if the evidence names one; `None` when the evidence names neither.
pub fn subject_key(evidence: &str) -> Option<String> {
    subject_at_start(evidence).or_else(|| {
        let (_, rest) = evidence.split_once(": ")?;
        subject_at_start(rest)
    })
}

fn subject_at_start(evidence: &str) -> Option<String> {
    if let Some(word) = ENTITY_WORDS.iter().find(|w| evidence.starts_with(**w)) {
        return quoted_after(evidence, word.len()).map(str::to_string);
    }
    if !evidence.starts_with("op#") {
        return None;
    }
    let head_end = evidence.find(": ").unwrap_or(evidence.len());
    let open = evidence[..head_end].find("('")? + 2;
    quoted_after(evidence, open).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_listed_once_in_order_of_mention() {
        let evidence = "op#12 load_agent('a') task=1 [3,4 ms] ok: expected x; history: op#3 save_agent('a') task=0 [1,2 ms] ok; op#12 load_agent('a') task=1 [3,4 ms] ok; op#";
        assert_eq!(referenced_ops(evidence), vec![12, 3]);
    }

    #[test]
    fn the_key_is_the_judged_operations_first_argument() {
        let evidence = "op#5 load_messages('agent 1', limit 4) task=2 [1,1 ms] ok: expected [0: ]";
        assert_eq!(subject_key(evidence).as_deref(), Some("agent 1"));
        let evidence = "op#5 list_agents() task=2 [1,1 ms] ok: expected [0: ]";
        assert_eq!(subject_key(evidence), None);
    }

    #[test]
    fn the_key_is_the_entity_even_when_it_holds_quotes() {
        let evidence = "agent 'it's' does not exist but has durable 1 messages; history: ";
        assert_eq!(subject_key(evidence).as_deref(), Some("it's"));
        let evidence = "tool 'x': model absent, durable damaged";
        assert_eq!(subject_key(evidence).as_deref(), Some("x"));
        assert_eq!(subject_key("something else"), None);
        let evidence =
            "recovery 2: op#437 checkpoint('agent-2', session 's3') task=5 [0,0 ms] unknown";
        assert_eq!(subject_key(evidence).as_deref(), Some("agent-2"));
        let evidence = "final: agent 'a' does not exist but has durable 1 messages";
        assert_eq!(subject_key(evidence).as_deref(), Some("a"));
    }
}
