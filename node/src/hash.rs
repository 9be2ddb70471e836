//! Password hashing on the pool — the seed's hashing example as one call: PBKDF2-HMAC-SHA512 of
//! many passwords with one salt, each password a pool task, off the event loop. The same keys as
//! Node's `crypto.pbkdf2(password, salt, iterations, keyLength, 'sha512')`.

use crate::error::{aborted, range_error};
use napi::bindgen_prelude::*;
use shmkern::{CancelToken, Pool};

/// The longest key asked for: far more than any use of PBKDF2 needs.
const MAX_KEY: u32 = 1024;

pub struct HashTask {
    passwords: Vec<String>,
    salt: Vec<u8>,
    iterations: u32,
    key_length: usize,
    pool: &'static Pool,
    token: CancelToken,
}

impl HashTask {
    pub(crate) fn start(
        passwords: Vec<String>,
        salt: Vec<u8>,
        iterations: u32,
        key_length: u32,
        pool: &'static Pool,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<HashTask>> {
        if iterations == 0 {
            return Err(range_error("hashPasswords: iterations must be at least 1"));
        }
        if key_length == 0 || key_length > MAX_KEY {
            return Err(range_error(format!(
                "hashPasswords: keyLength must be between 1 and {MAX_KEY}, got {key_length}"
            )));
        }
        let token = CancelToken::new();
        if let Some(s) = &signal {
            let t = token.clone();
            s.on_abort(move || t.cancel());
        }
        let task = HashTask {
            passwords,
            salt,
            iterations,
            key_length: key_length as usize,
            pool,
            token,
        };
        Ok(AsyncTask::with_optional_signal(task, signal))
    }
}

impl Task for HashTask {
    type Output = Vec<Vec<u8>>;
    type JsValue = Vec<Buffer>;

    fn compute(&mut self) -> Result<Vec<Vec<u8>>> {
        let (salt, iterations, len, token) =
            (&self.salt, self.iterations, self.key_length, &self.token);
        let keys = self.pool.map(&self.passwords, |password| {
            // A cancelled call skips the passwords not yet started.
            if token.is_cancelled() {
                return None;
            }
            let mut key = vec![0u8; len];
            pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password.as_bytes(), salt, iterations, &mut key);
            Some(key)
        });
        keys.into_iter()
            .map(|k| match k {
                Ok(Some(key)) => Ok(key),
                Ok(None) => Err(aborted()),
                Err(e) => Err(Error::from_reason(format!("hashPasswords: {e}"))),
            })
            .collect()
    }

    fn resolve(&mut self, _env: Env, keys: Vec<Vec<u8>>) -> Result<Vec<Buffer>> {
        Ok(keys.into_iter().map(Buffer::from).collect())
    }
}
