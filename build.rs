//! Embeds the built site in the release server.
//!
//! `cargo leptos build --release` builds the browser side first (WASM,
//! JS, CSS, hashed and precompressed into `target/site`, the hashes in
//! `hash.txt` beside the server binary) and the server after it. For that
//! server build this script lists every site file with its `.br` and `.gz`
//! variants in `$OUT_DIR/site.rs` as `include_bytes!`, so the binary
//! serves them from memory and needs no site folder. Any other build (the
//! browser bundle, `cargo test`, `cargo leptos watch`) gets an empty list
//! and serves the site from `LEPTOS_SITE_ROOT` as before.
//!
//! The wasm-split loader is the one file whose bytes differ between two
//! builds of one commit; its embedded copy is put in canonical form and
//! named after that (see `build/site.rs`), so that every build of a commit
//! names every asset alike.

use std::{
    env,
    fmt::Write as _,
    fs,
    io::Write as _,
    path::{Path, PathBuf},
};

#[path = "build/site.rs"]
mod site;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/site.rs");
    for name in [
        "LEPTOS_HASH_FILES",
        "LEPTOS_SITE_ROOT",
        "LEPTOS_SITE_PKG_DIR",
    ] {
        println!("cargo:rerun-if-env-changed={name}");
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let embed = env::var_os("CARGO_FEATURE_SSR").is_some()
        && env::var("PROFILE").as_deref() == Ok("release")
        && env::var("LEPTOS_HASH_FILES").as_deref() == Ok("true");
    let code = if embed {
        embedded_site(&out_dir)
    } else {
        "pub static FILES: &[EmbeddedFile] = &[];\npub static HASHES: &str = \"\";\n".to_owned()
    };
    fs::write(out_dir.join("site.rs"), code).expect("write site.rs");
}

/// The generated list of the site's files, and the hashes of the names.
fn embedded_site(out_dir: &Path) -> String {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let site_root = manifest_dir.join(env::var("LEPTOS_SITE_ROOT").unwrap_or("target/site".into()));
    // $TARGET/release/build/<crate>-<hash>/out: hash.txt is in $TARGET/release.
    let hash_file = out_dir
        .ancestors()
        .nth(3)
        .expect("OUT_DIR is inside the target directory")
        .join("hash.txt");
    println!("cargo:rerun-if-changed={}", site_root.display());
    println!("cargo:rerun-if-changed={}", hash_file.display());
    let hashes = fs::read_to_string(&hash_file).unwrap_or_else(|error| {
        panic!(
            "the release server embeds the site, but {} cannot be read ({error}); \
             build with `make build-release` (cargo leptos build --release)",
            hash_file.display()
        )
    });

    let mut files = Vec::new();
    collect(&site_root, &site_root, &mut files);
    files.sort();

    let mut hashes: Vec<(String, String)> = hashes
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, hash)| (name.trim().to_owned(), hash.trim().to_owned()))
        .collect();
    let split_hash = hashes
        .iter()
        .find(|(name, _)| name == "split")
        .map(|(_, hash)| hash.clone());

    // The split loader in canonical form, named after that; every file
    // that names it (the app's JS and WASM) is rewritten to the new name,
    // which has the same length, so nothing else in them moves.
    let renamed = split_hash.map(|old| {
        let old_name = format!("__wasm_split.{old}.js");
        let text = fs::read_to_string(site_root.join("pkg").join(&old_name))
            .expect("read the split loader");
        let canonical = site::canonical_split_loader(&text);
        let new_name = format!(
            "__wasm_split.{}.js",
            site::name_hash(&sha256(canonical.as_bytes()))
        );
        for (name, hash) in &mut hashes {
            if name == "split" {
                *hash = new_name["__wasm_split.".len()..new_name.len() - 3].to_owned();
            }
        }
        (old_name, new_name, canonical)
    });
    let copy_dir = out_dir.join("site");
    fs::create_dir_all(&copy_dir).expect("create the site copy");

    let mut code = String::from("pub static FILES: &[EmbeddedFile] = &[\n");
    for path in &files {
        let mut url = format!("/{}", path.replace('\\', "/"));
        let Some(content_type) = site::content_type(&url) else {
            continue;
        };
        let source = site_root.join(path);
        let variant = |extra: &str| {
            let path = source.with_extension(ext_with(&source, extra));
            path.exists().then_some(path)
        };
        let (mut served, mut br, mut gzip) = (source.clone(), variant("br"), variant("gz"));
        if let Some((old_name, new_name, canonical)) = &renamed {
            let original = fs::read(&source).expect("read a site file");
            let rewritten = if url.ends_with(&format!("/{old_name}")) {
                url = url.replace(old_name.as_str(), new_name);
                Some(canonical.as_bytes().to_vec())
            } else if old_name != new_name && contains(&original, old_name.as_bytes()) {
                Some(replace(&original, old_name.as_bytes(), new_name.as_bytes()))
            } else {
                None
            };
            if let Some(bytes) = rewritten {
                let file_name = url.rsplit('/').next().expect("a file name");
                served = copy_dir.join(file_name);
                fs::write(&served, &bytes).expect("write a rewritten site file");
                br = Some(compressed(&served, "br", &bytes));
                gzip = Some(compressed(&served, "gz", &bytes));
            }
        }
        let identity = fs::read(&served).expect("read a site file");
        let etag = site::name_hash(&sha256(&identity));
        let include = |path: &Option<PathBuf>| match path {
            Some(path) => format!("Some(include_bytes!({:?}))", path.display().to_string()),
            None => "None".to_owned(),
        };
        let _ = writeln!(
            code,
            "    EmbeddedFile {{ path: {url:?}, content_type: {content_type:?}, etag: {etag:?}, \
             identity: include_bytes!({:?}), br: {}, gzip: {} }},",
            served.display().to_string(),
            include(&br),
            include(&gzip),
        );
    }
    code.push_str("];\n");
    let hashes: String = hashes
        .iter()
        .map(|(name, hash)| format!("{name}: {hash}\n"))
        .collect();
    let _ = writeln!(code, "pub static HASHES: &str = {hashes:?};");
    code
}

/// Writes `bytes` compressed beside `path` (`.br` or `.gz`), as
/// cargo-leptos precompresses; returns the new file.
fn compressed(path: &Path, extra: &str, bytes: &[u8]) -> PathBuf {
    let target = path.with_extension(ext_with(path, extra));
    let file = fs::File::create(&target).expect("create a compressed file");
    if extra == "br" {
        let mut file = file;
        file.write_all(&smallest_brotli(bytes)).expect("write .br");
    } else {
        let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::best());
        encoder.write_all(bytes).expect("write .gz");
        encoder.finish().expect("finish .gz");
    }
    target
}

/// `bytes` compressed with brotli's best quality, and of two block-size
/// choices the one that gives fewer bytes: the encoder's own choice
/// (what cargo-leptos uses), or 64 KiB blocks, which save about 600 bytes
/// of the main WASM file. Both are decoded the same way.
fn smallest_brotli(bytes: &[u8]) -> Vec<u8> {
    [0, 16]
        .into_iter()
        .map(|lgblock| {
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 22,
                lgblock,
                size_hint: bytes.len(),
                ..Default::default()
            };
            let mut out = Vec::new();
            brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli");
            out
        })
        .min_by_key(Vec::len)
        .expect("two choices")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// `haystack` with every `from` replaced by `to`, of the same length.
fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "a rename keeps the length");
    let mut out = haystack.to_vec();
    let mut at = 0;
    while let Some(offset) = out[at..]
        .windows(from.len())
        .position(|window| window == from)
    {
        out[at + offset..at + offset + to.len()].copy_from_slice(to);
        at += offset + to.len();
    }
    out
}

/// `file.js` with `extra` gives `js.extra`, for `Path::with_extension`.
fn ext_with(path: &Path, extra: &str) -> String {
    match path.extension() {
        Some(extension) => format!("{}.{extra}", extension.to_string_lossy()),
        None => extra.to_owned(),
    }
}

/// Site files relative to `root`, without the precompressed variants and
/// TypeScript declarations (nothing loads those).
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        panic!("the built site is missing at {}", dir.display());
    };
    for entry in entries {
        let path = entry.expect("read the site folder").path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        let name = path.to_string_lossy();
        if name.ends_with(".br") || name.ends_with(".gz") || name.ends_with(".ts") {
            continue;
        }
        let relative = path.strip_prefix(root).expect("inside the site");
        files.push(relative.to_string_lossy().into_owned());
    }
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}
