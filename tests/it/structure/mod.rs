//! The structure and metadata step (`knowledge::structure`) on blocks: its rules one by one,
//! the 31 provincial reports of the fixtures, and odd or hostile input.

mod common;
mod reports;
mod robust;
mod rules;
