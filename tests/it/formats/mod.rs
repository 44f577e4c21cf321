//! Reports in every format an office sends. The readers of `knowledge::format` (docx, pdf,
//! html, text) on their own, below the structure step: [`quality`] on real reports in every
//! format, [`safety`] on hostile input, [`memory`] the real binary's peak memory on hostile
//! files; and [`answers`]: the same report in every format answers the same questions alike.
//! Fixtures: `tests/fixtures/readers` (made by `make_fixtures.py` there) and the provincial
//! reports in `tests/fixtures/provinces-2026`.

mod answers;
mod memory;
mod quality;
mod safety;
