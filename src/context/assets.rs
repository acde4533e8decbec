//! The site's built files and the names pages give them.
//!
//! A release build carries the whole built site inside the binary (see
//! `build.rs`): every file with its Brotli and gzip variants. Other builds
//! (`cargo leptos watch`, tests) read `LEPTOS_SITE_ROOT` from disk. The
//! names of the hashed files are worked out once, at start-up, from the
//! embedded hashes (or, on disk, `hash.txt` beside the binary): a page
//! render reads no file. Serving them is `server::files`.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use leptos::{prelude::*, WasmSplitManifest};

/// One file of the built site, embedded in the binary.
pub struct EmbeddedFile {
    /// The address it is served at, e.g. `/pkg/leptos_accounts.HASH.wasm`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A digest of the uncompressed bytes; each variant's `ETag` adds its
    /// encoding.
    pub etag: &'static str,
    pub identity: &'static [u8],
    pub br: Option<&'static [u8]>,
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/site.rs"));

/// Whether this binary carries the site.
pub fn embedded() -> bool {
    !FILES.is_empty()
}

/// The embedded file served at `path`, if there is one.
pub fn embedded_file(path: &str) -> Option<&'static EmbeddedFile> {
    static BY_PATH: OnceLock<HashMap<&'static str, &'static EmbeddedFile>> = OnceLock::new();
    BY_PATH
        .get_or_init(|| FILES.iter().map(|file| (file.path, file)).collect())
        .get(path)
        .copied()
}

/// The stylesheet, the app's JS and WASM and the wasm-split manifest that
/// lazy routes preload their chunks from, named once at start-up: every
/// page names them alike.
pub struct Assets {
    pub stylesheet: Arc<str>,
    pub js: Arc<str>,
    pub wasm: Arc<str>,
    /// The hydration script without its nonce, which is per response.
    pub hydrate: Arc<str>,
    pub split: Option<WasmSplitManifest>,
}

impl Assets {
    /// Works the names out for `options`: from the embedded site, else
    /// from `hash.txt` beside the binary and the site folder.
    pub fn load(options: &LeptosOptions) -> Self {
        let hashes = if embedded() {
            HASHES.to_owned()
        } else if options.hash_files {
            std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.join(&*options.hash_file)))
                .and_then(|path| std::fs::read_to_string(path).ok())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let hash = |kind: &str| {
            hashes
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim() == kind)
                .map(|(_, hash)| format!(".{}", hash.trim()))
                .unwrap_or_default()
        };
        let name = &options.output_name;
        let wasm_suffix = if hash("wasm").is_empty() && option_env!("LEPTOS_OUTPUT_NAME").is_none()
        {
            "_bg"
        } else {
            ""
        };
        let pkg = &options.site_pkg_dir;
        let manifest_name = format!("__wasm_split_manifest{}.json", hash("manifest"));
        let manifest = if embedded() {
            embedded_file(&format!("/{pkg}/{manifest_name}"))
                .and_then(|file| std::str::from_utf8(file.identity).ok())
                .map(str::to_owned)
        } else {
            std::fs::read_to_string(
                PathBuf::from(&*options.site_root)
                    .join(&**pkg)
                    .join(&manifest_name),
            )
            .ok()
        };
        let split = manifest
            .and_then(|text| serde_json::from_str::<HashMap<String, Vec<String>>>(&text).ok())
            .map(|preloads| {
                WasmSplitManifest(ArcStoredValue::new((
                    format!("/{pkg}"),
                    preloads,
                    format!("__wasm_split{}.js", hash("split")),
                )))
            });
        let js = format!("{name}{}", hash("js"));
        let wasm = format!("{name}{}{wasm_suffix}", hash("wasm"));
        Self {
            stylesheet: format!("/{pkg}/{name}{}.css", hash("css")).into(),
            hydrate: format!("{HYDRATE}(\"\", {pkg:?}, {js:?}, {wasm:?});").into(),
            js: format!("/{pkg}/{js}.js").into(),
            wasm: format!("/{pkg}/{wasm}.wasm").into(),
            split,
        }
    }
}

/// What Leptos's hydration script does once the page has loaded: import
/// the app's JS, instantiate the WASM, hydrate.
const HYDRATE: &str = r#"((root, pkg_path, output_name, wasm_output_name) => {
	import(`${root}/${pkg_path}/${output_name}.js`)
		.then(mod => {
			mod.default({module_or_path: `${root}/${pkg_path}/${wasm_output_name}.wasm`}).then(() => {
				mod.hydrate();
			});
		});
})"#;

/// The build script's rules, for the tests.
#[cfg(test)]
#[path = "../../build/site.rs"]
mod build_site;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_loader_is_the_same_text_whatever_order_its_names_came_in() {
        let one = "const { __indirect_function_table, __wasm_split_shared0, memory,  } = \
                   initSync(undefined, undefined);\n\
                   Object.assign(sharedImports.__wasm_split, { memory, __indirect_function_table, \
                   __wasm_split_shared0,  });\nimport { initSync } from \"./x.js\";\n\
                   sharedImports = { __wasm_split: {  } };";
        let two = one
            .replace(
                "{ __indirect_function_table, __wasm_split_shared0, memory,  }",
                "{ memory, __wasm_split_shared0, __indirect_function_table,  }",
            )
            .replace(
                "{ memory, __indirect_function_table, __wasm_split_shared0,  }",
                "{ __wasm_split_shared0, memory, __indirect_function_table,  }",
            );
        assert_ne!(one, two);
        let canonical = build_site::canonical_split_loader(one);
        assert_eq!(canonical, build_site::canonical_split_loader(&two));
        assert!(canonical.contains(
            "const { __indirect_function_table, __wasm_split_shared0, memory,  } = initSync"
        ));
        assert!(canonical.contains("import { initSync } from"));
        assert!(canonical.contains("sharedImports = { __wasm_split: {  } };"));
        // Idempotent.
        assert_eq!(build_site::canonical_split_loader(&canonical), canonical);
    }

    #[test]
    fn site_files_are_typed_by_extension_and_unknown_ones_left_out() {
        assert_eq!(
            build_site::content_type("/pkg/app.HASH.wasm"),
            Some("application/wasm")
        );
        assert_eq!(
            build_site::content_type("/pkg/app.HASH.js"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            build_site::content_type("/favicon.svg"),
            Some("image/svg+xml")
        );
        assert_eq!(build_site::content_type("/pkg/app.d.HASH.ts"), None);
        assert_eq!(build_site::content_type("/README"), None);
    }

    #[test]
    fn name_hashes_look_like_cargo_leptos_ones() {
        let hash = build_site::name_hash(&[0u8; 32]);
        assert_eq!(hash, "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(build_site::name_hash(&[0xff; 32]).len(), 22);
    }
}
