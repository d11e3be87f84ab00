//! Secrets at rest (TOTP seeds): XChaCha20-Poly1305 with a server key.
//!
//! Each sealed value stores the key id, so keys can rotate: new secrets use the current
//! key, old ones open with the key they name.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretBoxError {
    #[error("the server key must be 32 bytes written as 64 hex characters")]
    InvalidKey,
    #[error("no server key with id {0} is configured")]
    UnknownKey(String),
    #[error("a stored secret could not be decrypted (wrong key or corrupted data)")]
    Corrupt,
}

/// A sealed secret: key id, nonce and ciphertext, stored as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The server's keys; the first is current.
#[derive(Clone)]
pub struct SecretBox {
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl SecretBox {
    /// Keys as (id, 64 hex characters); the first seals.
    pub fn new(keys: &[(String, String)]) -> Result<SecretBox, SecretBoxError> {
        let mut out = Vec::new();
        for (id, hex) in keys {
            let bytes = decode_hex(hex).ok_or(SecretBoxError::InvalidKey)?;
            if bytes.len() != 32 {
                return Err(SecretBoxError::InvalidKey);
            }
            let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
                .map_err(|_| SecretBoxError::InvalidKey)?;
            out.push((id.clone(), cipher));
        }
        if out.is_empty() {
            return Err(SecretBoxError::InvalidKey);
        }
        Ok(SecretBox { keys: out })
    }

    /// A fresh random key as 64 hex characters.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Sealed, SecretBoxError> {
        let (id, cipher) = self.keys.first().ok_or(SecretBoxError::InvalidKey)?;
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .map_err(|_| SecretBoxError::Corrupt)?;
        Ok(Sealed {
            key_id: id.clone(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    pub fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, SecretBoxError> {
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .ok_or_else(|| SecretBoxError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.nonce.len() != 24 {
            return Err(SecretBoxError::Corrupt);
        }
        cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                sealed.ciphertext.as_slice(),
            )
            .map_err(|_| SecretBoxError::Corrupt)
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_rotates() {
        let key1 = SecretBox::generate_key();
        let old = SecretBox::new(&[("k1".into(), key1.clone())]).unwrap();
        let sealed = old.seal(b"seed").unwrap();
        assert_ne!(sealed.ciphertext, b"seed");
        assert_eq!(old.open(&sealed).unwrap(), b"seed");
        // After rotation new secrets use k2 and old ones still open with k1.
        let rotated = SecretBox::new(&[
            ("k2".into(), SecretBox::generate_key()),
            ("k1".into(), key1),
        ])
        .unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), b"seed");
        assert_eq!(rotated.seal(b"x").unwrap().key_id, "k2");
        let only_new = SecretBox::new(&[("k3".into(), SecretBox::generate_key())]).unwrap();
        assert_eq!(
            only_new.open(&sealed),
            Err(SecretBoxError::UnknownKey("k1".into()))
        );
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(old.open(&tampered), Err(SecretBoxError::Corrupt));
        assert!(SecretBox::new(&[("k".into(), "zz".into())]).is_err());
    }
}
