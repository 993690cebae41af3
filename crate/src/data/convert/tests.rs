//! The streaming converter against a direct computation: archives built here, fed in pieces of
//! every size and in any member order, give the same shards, whose records and statistics are
//! those of the batches read whole; each malformed input is named.

use super::*;
use crate::data::preprocess::FeatureStats;
use crate::data::split::Split;

/// Batch `b` of a CIFAR-like archive with `n` records: label `(b·n + i) mod 10`, pixels that
/// encode the record (so order is checkable).
fn batch(b: usize, n: usize) -> Vec<u8> {
    (b * n..(b + 1) * n)
        .flat_map(|i| {
            let mut r = vec![(i % 10) as u8];
            r.extend((0..CIFAR_RECORD - 1).map(|p| ((i * 7 + p * (i % 10 + 1)) % 256) as u8));
            r
        })
        .collect()
}

/// A tar stream of `members` (name under cifar-10-batches-bin/, bytes).
fn tar_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("{CIFAR_DIR}/{name}"), &bytes[..])
            .unwrap();
    }
    tar.into_inner().unwrap()
}

/// An archive's members: name, bytes.
type Members = Vec<(&'static str, Vec<u8>)>;

fn official_layout(n: usize) -> Members {
    let mut members: Members = CIFAR_TRAIN
        .iter()
        .enumerate()
        .map(|(b, name)| (*name, batch(b, n)))
        .collect();
    members.push((CIFAR_TEST, batch(5, n)));
    members.push(("batches.meta.txt", b"airplane\n".to_vec()));
    members
}

/// Every stored file (shards in order, then the statistics) and the manifest.
fn convert(
    tar: &[u8],
    piece: usize,
    valid: usize,
) -> Result<(Vec<Stored>, Manifest), ConvertError> {
    let mut c = Converter::cifar10("test.tar.gz", valid);
    c.begin_file("test.tar.gz")?;
    let mut stored = Vec::new();
    for chunk in tar.chunks(piece) {
        stored.extend(c.push(chunk)?);
    }
    assert_eq!(c.end_file()?, None, "no MD5 to check: none was fed");
    let (stats, manifest) = c.finish(Some("test".into()))?;
    stored.sort_by(|a, b| a.file.cmp(&b.file));
    stored.push(stats);
    Ok((stored, manifest))
}

#[test]
fn shards_and_statistics_are_the_batches_read_whole_whatever_the_pieces() {
    let n = 20;
    let tar = tar_of(&official_layout(n));
    let (whole, manifest) = convert(&tar, tar.len(), 30).unwrap();
    for piece in [1, 511, 512, 513, 4096] {
        assert_eq!(
            convert(&tar, piece, 30).unwrap(),
            (whole.clone(), manifest.clone()),
            "{piece}"
        );
    }
    // 100 training records: validation the first 30, train the other 70; test 20.
    assert_eq!(
        (
            manifest.valid.records,
            manifest.train.records,
            manifest.test.records
        ),
        (30, 70, 20)
    );
    let file = |name: &str| whole.iter().find(|s| s.file == name).unwrap();
    let full: Vec<u8> = (0..5).flat_map(|b| batch(b, n)).collect();
    assert_eq!(file("valid-000.bin").bytes, full[..30 * CIFAR_RECORD]);
    assert_eq!(file("train-000.bin").bytes, full[30 * CIFAR_RECORD..]);
    assert_eq!(file("test-000.bin").bytes, batch(5, n));
    for s in &whole {
        assert_eq!(s.sha256, crate::data::split::sha256_hex(&s.bytes));
    }
    let train = &full[30 * CIFAR_RECORD..];
    let labels = train.chunks(CIFAR_RECORD).map(|r| r[0]).collect();
    let images = train
        .chunks(CIFAR_RECORD)
        .flat_map(|r| r[1..].to_vec())
        .collect();
    let direct = FeatureStats::compute(&Split::from_records(3072, 10, images, labels));
    assert_eq!(file(STATS_FILE).bytes, direct.to_bytes());
    assert_eq!(manifest.standardization.sha256, file(STATS_FILE).sha256);
}

#[test]
fn members_in_another_order_give_the_same_bytes() {
    // Several train shards, completed out of order: the statistics still sum in record order.
    let n = 3_000;
    let mut members = official_layout(n);
    let ordered = convert(&tar_of(&members), 1 << 16, 5_000).unwrap();
    members.reverse();
    members.swap(1, 3);
    let shuffled = convert(&tar_of(&members), 1 << 16, 5_000).unwrap();
    assert_eq!(ordered.1.train.shards.len(), 2);
    assert_eq!(shuffled, ordered);
}

fn problem(result: Result<(Vec<Stored>, Manifest), ConvertError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn malformed_archives_are_named_with_what_is_wrong() {
    let n = 10;
    let with = |edit: &dyn Fn(&mut Members)| {
        let mut members = official_layout(n);
        edit(&mut members);
        tar_of(&members)
    };
    let short = with(&|m| m[2].1.truncate(1000));
    let err = problem(convert(&short, 4096, 5));
    assert!(
        err.contains("not the CIFAR-10 binary archive")
            && err.contains("data_batch_3.bin is 1000 bytes"),
        "{err}"
    );
    assert!(
        err.contains("cifar-10.html"),
        "the hint says where to get it: {err}"
    );
    let twice = with(&|m| m[1].0 = "data_batch_1.bin");
    assert!(
        problem(convert(&twice, 4096, 5))
            .contains("holds cifar-10-batches-bin/data_batch_1.bin twice")
    );
    let no_test = with(&|m| m.retain(|(name, _)| *name != CIFAR_TEST));
    assert!(
        problem(convert(&no_test, 4096, 5))
            .contains("it has no cifar-10-batches-bin/test_batch.bin")
    );
    let bad_label = with(&|m| m[4].1[3 * CIFAR_RECORD] = 10);
    let err = problem(convert(&bad_label, 4096, 5));
    assert!(
        err.contains("data_batch_5.bin, record 3 has label 10 (expected 0..9)"),
        "{err}"
    );

    let tar = tar_of(&official_layout(n));
    let err = problem(convert(&tar[..tar.len() / 2 + 100], 4096, 5));
    assert!(
        err.contains("cut short: it ends inside cifar-10-batches-bin/"),
        "{err}"
    );
    let mut damaged = tar.clone();
    damaged[100] ^= 0xff;
    assert!(problem(convert(&damaged, 4096, 5)).contains("a header checksum does not match"));

    let mut python = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(5);
    header.set_cksum();
    python
        .append_data(
            &mut header,
            "cifar-10-batches-py/data_batch_1",
            &b"hello"[..],
        )
        .unwrap();
    let err = problem(convert(&python.into_inner().unwrap(), 4096, 5));
    assert!(
        err.contains("its entries: cifar-10-batches-py/data_batch_1")
            && err.contains("Python version"),
        "{err}"
    );
}

#[test]
fn a_copy_other_than_the_official_one_gets_a_notice_with_its_md5() {
    let mut c = Converter::cifar10("copy.tar.gz", 5);
    c.begin_file("copy.tar.gz").unwrap();
    // RFC 1321's test vector: MD5("abc").
    c.compressed(b"ab");
    c.compressed(b"c");
    c.push(&tar_of(&official_layout(10))).unwrap();
    let notice = c.end_file().unwrap().unwrap();
    assert!(notice.starts_with("copy.tar.gz has MD5 900150983cd24fb0d6963f7d28e17f72, not the official archive's (c32a1d4ab5d03f1284b67883e8d87530)"), "{notice}");
    let (_, manifest) = c.finish(None).unwrap();
    assert!(
        manifest
            .source
            .contains("(md5 900150983cd24fb0d6963f7d28e17f72), converted in the browser")
    );
}

#[test]
fn the_files_given_decide_the_dataset() {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let c = Converter::for_files(&names(&["cifar-10-binary.tar.gz"]), 5).unwrap();
    assert_eq!(c.dataset(), "cifar10");
    let all: Vec<&str> = fashion::FILES.iter().map(|(n, _)| *n).collect();
    let c = Converter::for_files(&names(&all), 5).unwrap();
    assert_eq!(c.dataset(), "fashion-mnist");
    assert_eq!(
        c.files()[..2],
        names(&["train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
    );
    let err = Converter::for_files(&names(&all[..3]), 5)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("Fashion-MNIST needs its four files; t10k-labels-idx1-ubyte.gz is missing"),
        "{err}"
    );
    let err = Converter::for_files(&names(&["a.tar.gz", "b.tar.gz"]), 5)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("2 files were given"), "{err}");
}
