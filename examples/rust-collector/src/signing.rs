//! Signed results (`--sign`), as src/signing.ts does them: each Result's bytes, exactly as sent,
//! signed with ed25519; the signature in the `Mesh-Signature` header and the public key in the
//! advert's `signingKey`, both base64url without padding. The key is an nkey (the `--nkey` seed,
//! so the key stays across restarts, or one made at start); nkeys signs with ed25519-dalek.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::limits::SIGNING_KEY_PREFIX;

#[derive(Clone)]
pub struct Signer {
    kp: std::sync::Arc<nkeys::KeyPair>,
    public_key: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

impl Signer {
    /// Signs with the key of an nkey seed (`SU…`).
    pub fn from_seed(seed: &str) -> Result<Signer, String> {
        let kp = nkeys::KeyPair::from_seed(seed).map_err(|e| format!("not an nkey seed: {e}"))?;
        Signer::of(kp)
    }

    /// Signs with a key made now: it changes with every start.
    pub fn generate() -> Signer {
        Signer::of(nkeys::KeyPair::new_user()).expect("a new user key has a public key")
    }

    fn of(kp: nkeys::KeyPair) -> Result<Signer, String> {
        let (_, raw) = nkeys::from_public_key(&kp.public_key()).map_err(|e| e.to_string())?;
        let public_key = format!("{SIGNING_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        Ok(Signer { kp: std::sync::Arc::new(kp), public_key })
    }

    /// `ed25519:<base64url>`: what the advert carries.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The signature of `data`, base64url without padding.
    pub fn sign(&self, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.kp.sign(data).expect("an ed25519 key signs"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::is_base64url;

    #[test]
    fn keys_and_signatures_have_the_contract_form() {
        let s = Signer::generate();
        let key = s.public_key().strip_prefix(SIGNING_KEY_PREFIX).expect("prefixed");
        assert!(is_base64url(key, 32), "{key}");
        let sig = s.sign(b"a result");
        assert!(is_base64url(&sig, 64), "{sig}");
        let raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
        assert!(s.kp.verify(b"a result", &raw).is_ok());
        assert!(s.kp.verify(b"another result", &raw).is_err());
    }

    #[test]
    fn an_nkey_seed_gives_its_own_key() {
        let kp = nkeys::KeyPair::new_user();
        let s = Signer::from_seed(&kp.seed().unwrap()).unwrap();
        let (_, raw) = nkeys::from_public_key(&kp.public_key()).unwrap();
        assert_eq!(s.public_key(), format!("ed25519:{}", URL_SAFE_NO_PAD.encode(raw)));
        assert!(Signer::from_seed("SUNOTASEED").is_err());
    }
}
