//! Prepare → load round trips and every kind of bad input, on real files made by the tests.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::dataset::Dataset;
use super::manifest::{MANIFEST_FILE, Manifest};
use super::prepare::{Prepared, prepare_cifar10};
use super::preprocess::FeatureStats;

const RECORD: usize = 3073;

/// A CIFAR-10 binary archive in the official layout, with `per_batch` records per batch; the
/// label of record i is i mod 10 and its pixels encode the label and i (so order is checkable).
fn cifar_archive(dir: &Path, per_batch: usize, corrupt: impl Fn(&str, &mut Vec<u8>)) -> PathBuf {
    let path = dir.join("cifar-10-binary.tar.gz");
    let mut tar = tar::Builder::new(GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        Compression::fast(),
    ));
    let mut add = |name: &str, mut bytes: Vec<u8>| {
        corrupt(name, &mut bytes);
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("cifar-10-batches-bin/{name}"),
            &bytes[..],
        )
        .unwrap();
    };
    let batch = |first: usize| -> Vec<u8> {
        (first..first + per_batch)
            .flat_map(|i| {
                let mut r = vec![(i % 10) as u8];
                r.extend((0..RECORD - 1).map(|p| ((i * 7 + p * (i % 10 + 1)) % 256) as u8));
                r
            })
            .collect()
    };
    for b in 0..5 {
        add(&format!("data_batch_{}.bin", b + 1), batch(b * per_batch));
    }
    add("test_batch.bin", batch(5 * per_batch));
    add("batches.meta.txt", b"airplane\nautomobile\n".to_vec());
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    path
}

fn prepared(per_batch: usize, valid: usize) -> (tempfile::TempDir, PathBuf, Manifest) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = cifar_archive(tmp.path(), per_batch, |_, _| {});
    let out = tmp.path().join("cifar10");
    let Prepared::Written(manifest) = prepare_cifar10(&archive, &out, valid).unwrap() else {
        panic!("a fresh folder must be written")
    };
    (tmp, out, manifest)
}

#[test]
fn prepare_then_load_round_trips_splits_counts_and_stats() {
    let (_tmp, out, manifest) = prepared(200, 100);
    assert_eq!(
        (
            manifest.train.records,
            manifest.valid.records,
            manifest.test.records
        ),
        (900, 100, 200)
    );
    let data = Dataset::load_dir(&out).unwrap();
    assert_eq!(
        (data.train.len(), data.valid.len(), data.test.len()),
        (900, 100, 200)
    );
    // Validation is the first records of data_batch_1, as Géron takes X_train_full[:5000].
    assert_eq!(data.valid.label(3), 3);
    assert_eq!(data.valid.image(3)[0], (3 * 7) as u8);
    assert_eq!(data.train.image(0)[1], ((100 * 7 + 1) % 256) as u8);
    assert_eq!(data.train.class_counts(), vec![90; 10]);
    assert_eq!(data.test.class_counts(), vec![20; 10]);
    // The stored statistics are those of the train split, computed directly.
    let direct = FeatureStats::compute(&data.train);
    assert_eq!(data.stats, direct);
    let f = 5;
    let xs: Vec<f64> = (0..data.train.len())
        .map(|i| data.train.image(i)[f] as f64 / 255.0)
        .collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
    assert!(
        (data.stats.mean[f] as f64 - mean).abs() < 1e-6
            && (data.stats.std[f] as f64 - std).abs() < 1e-6
    );
}

#[test]
fn preparing_again_is_a_no_op() {
    let (tmp, out, _) = prepared(50, 20);
    let archive = tmp.path().join("cifar-10-binary.tar.gz");
    assert!(matches!(
        prepare_cifar10(&archive, &out, 20).unwrap(),
        Prepared::UpToDate(_)
    ));
}

fn load_err(out: &Path) -> String {
    Dataset::load_dir(out).unwrap_err().to_string()
}

fn rewrite(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

fn edit_manifest(out: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    rewrite(&out.join(MANIFEST_FILE), |bytes| {
        let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        f(&mut v);
        *bytes = serde_json::to_vec(&v).unwrap();
    });
}

#[test]
fn truncated_shard_is_named() {
    let (_tmp, out, _) = prepared(50, 20);
    rewrite(&out.join("train-000.bin"), |b| b.truncate(b.len() - 100));
    let err = load_err(&out);
    assert!(
        err.contains("train-000.bin") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn flipped_byte_fails_the_sha256() {
    let (_tmp, out, _) = prepared(50, 20);
    rewrite(&out.join("test-000.bin"), |b| b[1234] ^= 0x40);
    let err = load_err(&out);
    assert!(
        err.contains("test-000.bin") && err.contains("sha256 mismatch"),
        "{err}"
    );
}

#[test]
fn label_out_of_range_is_named_even_with_a_matching_hash() {
    let (_tmp, out, manifest) = prepared(50, 20);
    let shard = &manifest.valid.shards[0];
    rewrite(&out.join(&shard.file), |b| b[RECORD * 2] = 10);
    let sha = super::split::sha256_hex(&std::fs::read(out.join(&shard.file)).unwrap());
    edit_manifest(&out, |m| m["valid"]["shards"][0]["sha256"] = sha.into());
    let err = load_err(&out);
    assert!(
        err.contains("valid-000.bin") && err.contains("record 2 has label 10"),
        "{err}"
    );
}

#[test]
fn manifest_with_wrong_count_shape_or_version_is_rejected() {
    let (_tmp, out, _) = prepared(50, 20);
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 4] = [
        (
            |m| m["train"]["records"] = 999.into(),
            "claims 999 records but its shards hold 230",
        ),
        (
            |m| m["image_shape"] = serde_json::json!([1, 28, 28]),
            "does not match image shape",
        ),
        (
            |m| m["version"] = 7.into(),
            "unsupported format version Some(7)",
        ),
        (
            |m| m["format"] = "tfrecord".into(),
            "not a selfnorm dataset manifest",
        ),
    ];
    for (edit, expected) in cases {
        let original = std::fs::read(out.join(MANIFEST_FILE)).unwrap();
        edit_manifest(&out, edit);
        let err = load_err(&out);
        assert!(
            err.contains(MANIFEST_FILE) && err.contains(expected),
            "{err}"
        );
        std::fs::write(out.join(MANIFEST_FILE), original).unwrap();
    }
}

#[test]
fn missing_shard_and_missing_manifest_are_named() {
    let (_tmp, out, _) = prepared(50, 20);
    std::fs::remove_file(out.join("train-000.bin")).unwrap();
    let err = load_err(&out);
    assert!(
        err.contains("train-000.bin") && err.contains("cannot read"),
        "{err}"
    );
    std::fs::remove_file(out.join(MANIFEST_FILE)).unwrap();
    let err = load_err(&out);
    assert!(
        err.contains(MANIFEST_FILE) && err.contains("scripts/prepare-data"),
        "{err}"
    );
}

#[test]
fn archives_that_are_not_cifar_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let text = tmp.path().join("notes.tar.gz");
    std::fs::write(&text, b"hello, not an archive").unwrap();
    let err = prepare_cifar10(&text, &out, 10).err().unwrap().to_string();
    assert!(
        err.contains("notes.tar.gz") && err.contains("not a gzip file"),
        "{err}"
    );

    let no_test = cifar_archive(tmp.path(), 20, |name, bytes| {
        if name == "data_batch_3.bin" {
            bytes.truncate(1000);
        }
    });
    let err = prepare_cifar10(&no_test, &out, 10)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("not the CIFAR-10 binary archive") && err.contains("data_batch_3.bin"),
        "{err}"
    );
    assert!(!out.join(MANIFEST_FILE).exists());
}

/// The real archive (the official one, or the workplace's re-encoded copy): 45,000 / 5,000 /
/// 10,000 records, balanced classes. Run by `scripts/test` when `SELFNORM_CIFAR10_ARCHIVE` names
/// an archive (`cargo test -- --ignored real_cifar10`).
#[test]
#[ignore = "needs SELFNORM_CIFAR10_ARCHIVE"]
fn real_cifar10_archive_prepares_into_balanced_splits() {
    let archive = std::env::var("SELFNORM_CIFAR10_ARCHIVE")
        .expect("SELFNORM_CIFAR10_ARCHIVE names the archive");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cifar10");
    prepare_cifar10(Path::new(&archive), &out, super::prepare::VALID_RECORDS).unwrap();
    let data = Dataset::load_dir(&out).unwrap();
    assert_eq!(
        (data.train.len(), data.valid.len(), data.test.len()),
        (45_000, 5_000, 10_000)
    );
    assert_eq!(data.test.class_counts(), vec![1_000; 10]);
    let (train, valid) = (data.train.class_counts(), data.valid.class_counts());
    for class in 0..10 {
        assert_eq!(train[class] + valid[class], 5_000, "class {class}");
        assert!(
            (400..=600).contains(&valid[class]),
            "class {class}: {} validation images",
            valid[class]
        );
    }
    assert_eq!(data.manifest.classes[3], "cat");
    assert_eq!(data.manifest.train.shards.len(), 9);
}

/// Fashion-MNIST's four gzipped IDX files, with `n` training and `n / 2` test images.
fn fashion_files(dir: &Path, n: usize) {
    let idx = |magic_dims: u8, dims: &[u32], payload: Vec<u8>| {
        let mut raw = vec![0, 0, 8, magic_dims];
        dims.iter().for_each(|d| raw.extend(d.to_be_bytes()));
        raw.extend(payload);
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&raw).unwrap();
        gz.finish().unwrap()
    };
    for (prefix, count) in [("train", n), ("t10k", n / 2)] {
        let images = (0..count * 784).map(|p| (p % 251) as u8).collect();
        let labels = (0..count).map(|i| (i % 10) as u8).collect();
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            idx(3, &[count as u32, 28, 28], images),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            idx(1, &[count as u32], labels),
        )
        .unwrap();
    }
}

#[test]
fn fashion_mnist_goes_through_the_same_path_with_its_own_shape() {
    let tmp = tempfile::tempdir().unwrap();
    fashion_files(tmp.path(), 300);
    let out = tmp.path().join("fashion");
    super::prepare::prepare_fashion_mnist(tmp.path(), &out, 50).unwrap();
    let data = Dataset::load_dir(&out).unwrap();
    assert_eq!(data.manifest.image_shape, [1, 28, 28]);
    assert_eq!(data.manifest.classes[9], "Ankle boot");
    assert_eq!(
        (data.train.len(), data.valid.len(), data.test.len()),
        (250, 50, 150)
    );
    assert_eq!(data.train.feature_dim, 784);
    // The model's input follows the manifest.
    let trainer = crate::train::Trainer::new(
        &data,
        &crate::model::ModelConfig::default(),
        &crate::train::TrainConfig::default(),
        super::Preprocessing::Scale01,
        &burn::tensor::Device::flex(),
    )
    .unwrap();
    assert_eq!(trainer.model_config.input_dim, 784);

    std::fs::write(tmp.path().join("t10k-labels-idx1-ubyte.gz"), b"not gzip").unwrap();
    let err = super::prepare::prepare_fashion_mnist(tmp.path(), &tmp.path().join("x"), 50)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte.gz") && err.contains("not a gzip file"),
        "{err}"
    );
}
