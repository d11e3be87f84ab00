//! AWS-shaped identifiers: a 12-digit account id and prefixed unique ids.

use rand::Rng;

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A unique id such as `AIDA` + 17 characters, as AWS writes user ids.
pub fn unique_id(prefix: &str) -> String {
    let mut rng = rand::rngs::OsRng;
    let tail: String = (0..17)
        .map(|_| {
            ID_ALPHABET
                .get(rng.gen_range(0..ID_ALPHABET.len()))
                .map_or('A', |b| *b as char)
        })
        .collect();
    format!("{prefix}{tail}")
}

/// An access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 characters,
/// 20 in all, as AWS writes them.
pub fn access_key_id(prefix: &str) -> String {
    let mut id = unique_id(prefix);
    id.truncate(20);
    id
}

/// A secret access key: 40 characters of base64's alphabet (240 random bits).
pub fn secret_access_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rngs::OsRng;
    (0..40)
        .map(|_| {
            ALPHABET
                .get(rng.gen_range(0..ALPHABET.len()))
                .map_or('A', |b| *b as char)
        })
        .collect()
}

/// A new 12-digit account id (not starting with 0, so it reads as a number).
pub fn account_id() -> String {
    let mut rng = rand::rngs::OsRng;
    let first = rng.gen_range(1..=9u8);
    let rest: String = (0..11)
        .map(|_| char::from(b'0' + rng.gen_range(0..=9u8)))
        .collect();
    format!("{first}{rest}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let id = super::unique_id("AIDA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        let key = super::access_key_id("AKIA");
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert_eq!(super::secret_access_key().len(), 40);
        let account = super::account_id();
        assert_eq!(account.len(), 12);
        assert!(account.bytes().all(|b| b.is_ascii_digit()));
    }
}
