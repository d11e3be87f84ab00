//! SSH public keys as AWS's `UploadSSHPublicKey` takes them: OpenSSH's one-line
//! `ssh-rsa AAAA… comment`, at least 2048 bits, fingerprinted with MD5 over the
//! key blob (`xx:xx:…`, as `ssh-keygen -l -E md5` shows it).

use base64::Engine;
use md5::{Digest, Md5};

/// AWS's minimum RSA modulus size for SSH keys.
pub const MIN_BITS: usize = 2048;

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKey {
    pub bits: usize,
    pub fingerprint: String,
}

/// Why a key was refused, in terms a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshKeyProblem {
    /// Not OpenSSH's one-line form (a PEM block, another key type).
    #[error("The public key encoding is not supported: give an OpenSSH ssh-rsa key (one line, starting with ssh-rsa).")]
    Encoding,
    #[error("The public key is malformed: {0}")]
    Malformed(&'static str),
    #[error("The public key has {0} bits; at least 2048 are needed.")]
    TooShort(usize),
}

/// Reads one length-prefixed SSH wire string from `blob` at `at`.
fn wire_string<'a>(blob: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(blob.get(*at..*at + 4)?.try_into().ok()?) as usize;
    let value = blob.get(*at + 4..(*at + 4).checked_add(len)?)?;
    *at += 4 + len;
    Some(value)
}

/// Parses and checks `body`.
pub fn parse_public_key(body: &str) -> Result<SshKey, SshKeyProblem> {
    let mut parts = body.split_whitespace();
    let (Some(kind), Some(data)) = (parts.next(), parts.next()) else {
        return Err(SshKeyProblem::Encoding);
    };
    if kind != "ssh-rsa" {
        return Err(SshKeyProblem::Encoding);
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| SshKeyProblem::Malformed("the key data is not base64"))?;
    let mut at = 0;
    let inner = wire_string(&blob, &mut at).ok_or(SshKeyProblem::Malformed("it is truncated"))?;
    if inner != b"ssh-rsa" {
        return Err(SshKeyProblem::Malformed(
            "the key data does not match its ssh-rsa type",
        ));
    }
    let exponent =
        wire_string(&blob, &mut at).ok_or(SshKeyProblem::Malformed("it is truncated"))?;
    let modulus = wire_string(&blob, &mut at).ok_or(SshKeyProblem::Malformed("it is truncated"))?;
    if at != blob.len() || exponent.is_empty() || exponent.iter().all(|b| *b == 0) {
        return Err(SshKeyProblem::Malformed("its numbers do not add up"));
    }
    let significant: Vec<u8> = modulus.iter().copied().skip_while(|b| *b == 0).collect();
    let bits = match significant.first() {
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    };
    if bits < MIN_BITS {
        return Err(SshKeyProblem::TooShort(bits));
    }
    let digest = Md5::digest(&blob);
    let fingerprint = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok(SshKey { bits, fingerprint })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bits: usize) -> String {
        let mut blob = Vec::new();
        for part in [
            &b"ssh-rsa"[..],
            &[1, 0, 1][..],
            &{
                let mut n = vec![0u8];
                n.push(0x80);
                n.extend(std::iter::repeat_n(0x5a, bits / 8 - 1));
                n
            }[..],
        ] {
            blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
            blob.extend_from_slice(part);
        }
        format!(
            "ssh-rsa {} alice@laptop",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    #[test]
    fn rsa_keys_of_2048_bits_and_more() {
        let parsed = parse_public_key(&key(2048)).unwrap();
        assert_eq!(parsed.bits, 2048);
        assert_eq!(parsed.fingerprint.len(), 47);
        assert_eq!(
            parse_public_key(&key(1024)),
            Err(SshKeyProblem::TooShort(1024))
        );
        assert_eq!(parse_public_key(&key(4096)).unwrap().bits, 4096);
    }

    #[test]
    fn other_shapes_are_refused() {
        assert_eq!(
            parse_public_key(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
            ),
            Err(SshKeyProblem::Encoding)
        );
        assert_eq!(
            parse_public_key("-----BEGIN PUBLIC KEY-----"),
            Err(SshKeyProblem::Encoding)
        );
        assert!(matches!(
            parse_public_key("ssh-rsa !!!"),
            Err(SshKeyProblem::Malformed(_))
        ));
        assert!(matches!(
            parse_public_key("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB"),
            Err(SshKeyProblem::Malformed(_))
        ));
        // A blob claiming another type under the ssh-rsa label.
        let ed = "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        assert!(matches!(
            parse_public_key(ed),
            Err(SshKeyProblem::Malformed(_))
        ));
    }
}
