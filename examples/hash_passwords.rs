//! Hashes 16 passwords with PBKDF2-HMAC-SHA512 (100,000 iterations each) as tasks on a shmkern
//! pool, and times it against hashing them one by one.
//!
//! ```sh
//! cargo run --release --example hash_passwords
//! ```
//!
//! Each password is one `Pool::spawn` task; the handles are joined in input order, so the hashes
//! come back in the order of the passwords whatever order the workers finish them in. CPU-bound
//! work like this is what a pool's tasks are for (Node.js sends it to a `worker_threads` pool for
//! the same reason: to keep the main thread free).
//!
//! Checks (a panic, so a non-zero exit, on any mismatch): the PBKDF2 implementation reproduces the
//! published PBKDF2-HMAC-SHA512 test vectors for "password"/"salt" (1 and 4096 iterations), and
//! every hash computed on the pool equals the one computed sequentially, byte for byte.

use pbkdf2::pbkdf2_hmac;
use sha2::Sha512;
use shmkern::Pool;
use std::time::{Duration, Instant};

const ITERATIONS: u32 = 100_000;
const PASSWORDS: usize = 16;

/// A 64-byte PBKDF2-HMAC-SHA512 hash.
type Hash = [u8; 64];

fn hash(password: &[u8], salt: &[u8], iterations: u32) -> Hash {
    let mut out = [0u8; 64];
    pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The published test vectors for PBKDF2-HMAC-SHA512, password "password", salt "salt", 64 bytes.
fn check_test_vectors() {
    let vectors = [
        (
            1,
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce",
        ),
        (
            4096,
            "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5\
                143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5",
        ),
    ];
    for (iterations, expected) in vectors {
        let got = hex(&hash(b"password", b"salt", iterations));
        assert_eq!(got, expected, "test vector with {iterations} iterations");
    }
}

fn main() -> Result<(), shmkern::Error> {
    check_test_vectors();

    // Each user's password and own salt.
    let users: Vec<(String, Vec<u8>)> = (0..PASSWORDS)
        .map(|i| {
            let password = format!("correct horse battery staple #{i}");
            let salt = format!("shmkern-example-salt-{i:04}").into_bytes();
            (password, salt)
        })
        .collect();

    // Tasks run on the pool's workers, while this thread only waits in `join`, so give it one
    // worker per core: a pool of N participants has N − 1 workers.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = Pool::builder().threads(cores + 1).build()?;

    let start = Instant::now();
    let tasks: Vec<_> = users
        .iter()
        .map(|(password, salt)| {
            let (password, salt) = (password.clone(), salt.clone());
            pool.spawn(move || hash(password.as_bytes(), &salt, ITERATIONS))
        })
        .collect();
    let parallel: Vec<Hash> = tasks
        .into_iter()
        .map(|task| task.join().expect("a hashing task failed"))
        .collect();
    let parallel_time = start.elapsed();

    let start = Instant::now();
    let sequential: Vec<Hash> = users
        .iter()
        .map(|(password, salt)| hash(password.as_bytes(), salt, ITERATIONS))
        .collect();
    let sequential_time = start.elapsed();

    for ((password, _), h) in users.iter().zip(&parallel).take(3) {
        println!("{password:<36} {}…", hex(&h[..16]));
    }
    println!("… {} more", PASSWORDS - 3);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{PASSWORDS} passwords × {ITERATIONS} iterations: one by one {:.0} ms, as tasks on {} \
         workers {:.0} ms ({:.2}× faster)",
        ms(sequential_time),
        pool.threads() - 1,
        ms(parallel_time),
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );

    assert_eq!(
        parallel, sequential,
        "pool hashes differ from sequential ones"
    );
    println!(
        "checked: the published test vectors are reproduced; all {PASSWORDS} task results equal \
         the sequential hashes, in input order"
    );
    Ok(())
}
