//! The engine on the real on-disk index: sources, ids, rebuilds, bad files.

use lianghui_bot::index;
use lianghui_bot::search::Question;
use lianghui_bot::service::LoadError;

fn ask(q: &str) -> lianghui_bot::search::Hits {
    crate::engine()
        .search(&Question::parse(q).unwrap(), 3)
        .unwrap()
}

#[test]
fn answers_carry_document_section_and_meeting() {
    let hits = ask("今年全区经济增长目标是多少？");
    let top = &hits.hits[0].passage;
    assert!(top.text.contains("经济增长6.5%"), "{top:?}");
    assert_eq!(top.title, "凝心聚力谋发展 奋勇争先谱新篇");
    assert_eq!(top.section, "预期目标 全区经济增长6.5%");
    assert_eq!(top.meeting, "北关区第十一届人民代表大会第四次会议");
    assert!(hits.hits.len() <= 3);
}

#[test]
fn numbers_are_found_as_written_and_bare() {
    for q in ["6.5%", "6.5", "1430个", "2700人"] {
        let hits = ask(q);
        assert!(!hits.abstained(), "{q}");
        assert!(
            hits.hits[0]
                .passage
                .text
                .contains(q.trim_end_matches(['%', '个', '人'])),
            "{q}: {:?}",
            hits.hits[0].passage.text
        );
    }
}

#[test]
fn page_break_splits_are_repaired() {
    for (q, want) in [
        ("景区景点周边环境整治", "深化景区景点周边"),
        ("征集企业科技创新需求", "征集企业科技创新需求"),
        ("职业技能培训多少人次", "职业技能培训6600人次"),
    ] {
        let hits = ask(q);
        assert!(
            hits.hits.iter().any(|h| h.passage.text.contains(want)),
            "{q}"
        );
    }
}

#[test]
fn unchanged_knowledge_reuses_the_index_and_a_change_rebuilds_it() {
    let k = crate::knowledge_copy();
    let data = tempfile::tempdir().unwrap();
    let first = crate::open_kb(k.path(), data.path());
    assert!(first.built);
    let first = first.kb.engine();
    let ids: Vec<String> = first
        .manifest()
        .documents
        .iter()
        .map(|d| d.id.clone())
        .collect();
    let again = crate::open_kb(k.path(), data.path());
    assert!(!again.built, "an unchanged folder must reuse the index");

    let hit = |e: &lianghui_bot::search::Engine, q: &str| {
        e.search(&Question::parse(q).unwrap(), 1).unwrap().hits[0]
            .passage
            .id
            .clone()
    };
    let before = hit(&first, "甄妃墓保护");
    std::fs::write(
        k.path().join("notice.txt"),
        "停水通知\n\n北关区部分小区明日停水检修。\n",
    )
    .unwrap();
    let changed = crate::open_kb(k.path(), data.path());
    assert!(changed.built);
    let changed = changed.kb.engine();
    assert_eq!(changed.manifest().documents.len(), ids.len() + 1);
    assert_eq!(
        hit(&changed, "甄妃墓保护"),
        before,
        "passage ids must survive a rebuild"
    );
    assert!(hit(&changed, "停水检修").starts_with("notice-"));
    let diff = changed.manifest().changes_from(first.manifest());
    assert_eq!(diff.added, vec!["停水通知".to_string()]);
    assert!(diff.removed.is_empty() && diff.changed.is_empty());
    assert_eq!(
        index::current_manifest(data.path()).unwrap().fingerprint,
        changed.manifest().fingerprint
    );
}

#[test]
fn one_bad_file_never_takes_down_the_others() {
    let k = crate::knowledge_copy();
    std::fs::write(
        k.path().join("broken.md"),
        "+++\nheadline = \"x\"\nnot toml\n+++\n\n正文。\n",
    )
    .unwrap();
    std::fs::write(k.path().join("binary.txt"), b"\x00\x01\x02").unwrap();
    let data = tempfile::tempdir().unwrap();
    let lenient = crate::open_kb(k.path(), data.path());
    assert_eq!(lenient.problems.len(), 2, "{:?}", lenient.problems);
    assert_eq!(lenient.kb.engine().manifest().documents.len(), 3);
    let strict = lenient.kb.reload();
    match strict {
        Err(LoadError::BadFiles(errors)) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(text.iter().any(|e| e.contains("broken.md:3")), "{text:?}");
            assert!(
                text.iter()
                    .any(|e| e.contains("binary.txt") && e.contains("undecodable")),
                "{text:?}"
            );
        }
        other => panic!("expected bad files, got {:?}", other.err()),
    }
}

#[test]
fn context_returns_neighbours() {
    let e = crate::engine();
    let id = ask("甄妃墓保护").hits[0].passage.id.clone();
    let ctx = e.context(&id).unwrap().unwrap();
    assert_eq!(ctx.passage.id, id);
    assert!(ctx.before.is_some() && ctx.after.is_some());
    assert!(e.context("no-such-passage").unwrap().is_none());
}

#[test]
fn forged_offsets_are_bounded() {
    let engine = crate::engine();
    let q = Question::parse("项目建设").unwrap();
    for (offset, top) in [(usize::MAX, 4), (3, usize::MAX), (usize::MAX, usize::MAX)] {
        let hits = engine.search_from(&q, offset, top).unwrap();
        assert!(hits.hits.len() <= lianghui_bot::search::MAX_RESULTS);
    }
}
