//! Date normalisation: human-written dates in many formats to ISO 8601.
//!
//! Where it sits in the seed: topic 5, many-to-many with Tx ≠ Ty — the
//! encoder–decoder of machine translation. "Tue, Mar 3, 2009" (6 tokens) and
//! "03/03/09" (5 tokens) both become "2009-03-03": the encoder reads the
//! whole input into its final state, and the decoder writes the output one
//! token at a time from that summary.
//!
//! **Dates** are drawn uniformly from the calendar between [`FIRST_YEAR`]-01-01
//! and [`LAST_YEAR`]-12-31 (Gregorian leap years, so 29 February appears only
//! in leap years), with the real day of the week. **Formats** ([`FORMATS`]):
//!
//! ```text
//! 3rd of march 2009        Tue, Mar 3, 2009        03/03/09 (US: MM/DD/YY)
//! march 3, 2009            2009 3 march            3 mar 2009
//! Tuesday, March 3rd, 2009 03.03.2009 (DD.MM.YYYY) the 3rd of march, 2009
//! 3/3/2009 (US: M/D/YYYY)  tue 3 march 2009        2009-03-03
//! ```
//!
//! Two-digit years mean 19yy for yy ≥ 50 and 20yy otherwise, which is exactly
//! the range of years generated.
//!
//! **Tokens.** [`tokenize`] lower-cases the text and splits it at spaces
//! and punctuation (`,` `/` `.` `-` are tokens of their own), so a *word or
//! whole number* is one token: "Tue, Mar 3, 2009" → `tue , mar 3 , 2009`. The
//! target is written in the same kind of tokens: `2009 - 03 - 03 <eos>`.
//! We chose these tokens over characters because then the encoder has to
//! carry three symbols (year, month, day) across at most 6 steps instead of
//! eight digits across up to 31 characters ("Wednesday, September 30th,
//! 2009"), and the decoder writes 6 tokens instead of 11 characters; a model
//! without attention learns it to ≥ 95% exact match in seconds. The price is
//! a vocabulary with a token per year (100 of them) and per day-number form
//! ("3", "03", "3rd"), and years outside the range cannot be read. Held-out dates are *dates* never seen in
//! training (in any format), so the model must combine a year, a month and a
//! day it has only seen separately.

use super::{Split, Vocab};
use crate::rng::Rng;

/// The first year generated.
pub const FIRST_YEAR: i32 = 1950;
/// The last year generated.
pub const LAST_YEAR: i32 = 2049;

/// Month names.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Day names, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The formats, as an example each (2009-03-03).
pub const FORMATS: [&str; 12] = [
    "3rd of march 2009",
    "Tue, Mar 3, 2009",
    "03/03/09",
    "march 3, 2009",
    "2009 3 march",
    "3 mar 2009",
    "Tuesday, March 3rd, 2009",
    "03.03.2009",
    "the 3rd of march, 2009",
    "3/3/2009",
    "tue 3 march 2009",
    "2009-03-03",
];

/// Start of sequence, fed to the decoder first.
pub const BOS: &str = "<bos>";
/// End of sequence, the decoder's last output.
pub const EOS: &str = "<eos>";

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
}

/// True for Gregorian leap years.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month (1 to 12) of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The number of days from [`FIRST_YEAR`]-01-01 to [`LAST_YEAR`]-12-31.
pub fn total_days() -> usize {
    (FIRST_YEAR..=LAST_YEAR)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum()
}

/// The date `n` days after [`FIRST_YEAR`]-01-01 (n < `total_days()`).
pub fn date_from_index(mut n: usize) -> Date {
    let mut year = FIRST_YEAR;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if n < len {
            break;
        }
        n -= len;
        year += 1;
    }
    let mut month = 1;
    loop {
        let len = days_in_month(year, month) as usize;
        if n < len {
            break;
        }
        n -= len;
        month += 1;
    }
    Date {
        year,
        month,
        day: n as u32 + 1,
    }
}

/// The day of the week of the date `n` days after 1950-01-01, 0 = Monday.
/// 1950-01-01 was a Sunday (6).
pub fn weekday_from_index(n: usize) -> usize {
    (n + 6) % 7
}

/// "1st", "2nd", "3rd", "4th", …, "11th", …, "21st", …
pub fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// The date in format `f` (an index into [`FORMATS`]); `weekday` 0 = Monday.
pub fn format_date(d: Date, weekday: usize, f: usize) -> String {
    let (y, m, dd) = (d.year, d.month as usize, d.day);
    let month = MONTHS[m - 1];
    let mon = &month[..3];
    let lower = month.to_lowercase();
    let lmon = &lower[..3];
    let wd = WEEKDAYS[weekday];
    let wd3 = &wd[..3];
    let yy = y.rem_euclid(100);
    let od = ordinal(dd);
    match f {
        0 => format!("{od} of {lower} {y}"),
        1 => format!("{wd3}, {mon} {dd}, {y}"),
        2 => format!("{m:02}/{dd:02}/{yy:02}"),
        3 => format!("{lower} {dd}, {y}"),
        4 => format!("{y} {dd} {lower}"),
        5 => format!("{dd} {lmon} {y}"),
        6 => format!("{wd}, {month} {od}, {y}"),
        7 => format!("{dd:02}.{m:02}.{y}"),
        8 => format!("the {od} of {lower}, {y}"),
        9 => format!("{m}/{dd}/{y}"),
        10 => format!("{} {dd} {lower} {y}", wd3.to_lowercase()),
        _ => iso(d),
    }
}

/// "2009-03-03".
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Lower-cases and splits at spaces; `,` `/` `.` `-` are tokens of their own.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_whitespace() || matches!(ch, ',' | '/' | '.' | '-') {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !ch.is_whitespace() {
                out.push(ch.to_string());
            }
        } else {
            word.push(ch);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The input vocabulary: every token any format can produce.
pub fn source_vocab() -> Vocab {
    let mut v = Vocab::new(&[",", "/", ".", "-", "of", "the"]);
    for m in MONTHS {
        let l = m.to_lowercase();
        v.add(&l);
        v.add(&l[..3]);
    }
    for w in WEEKDAYS {
        let l = w.to_lowercase();
        v.add(&l);
        v.add(&l[..3]);
    }
    for d in 1..=31 {
        v.add(&d.to_string());
        v.add(&format!("{d:02}"));
        v.add(&ordinal(d));
    }
    for yy in 0..100 {
        v.add(&format!("{yy:02}"));
    }
    for y in FIRST_YEAR..=LAST_YEAR {
        v.add(&y.to_string());
    }
    v
}

/// The output vocabulary: `<bos>`, `<eos>`, `-`, the years, and "01" to "31".
pub fn target_vocab() -> Vocab {
    let mut v = Vocab::new(&[BOS, EOS, "-"]);
    for y in FIRST_YEAR..=LAST_YEAR {
        v.add(&y.to_string());
    }
    for d in 1..=31 {
        v.add(&format!("{d:02}"));
    }
    v
}

/// The target tokens of a date, without `<bos>` and `<eos>`: `2009 - 03 - 03`.
pub fn target_tokens(d: Date) -> Vec<String> {
    vec![
        d.year.to_string(),
        "-".to_string(),
        format!("{:02}", d.month),
        "-".to_string(),
        format!("{:02}", d.day),
    ]
}

/// One example.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateExample {
    /// The date.
    pub date: Date,
    /// Which of [`FORMATS`].
    pub format: usize,
    /// The human-written text.
    pub text: String,
    /// Its tokens' ids in the source vocabulary.
    pub src: Vec<usize>,
    /// The ISO tokens' ids in the target vocabulary, ending with `<eos>`.
    pub tgt: Vec<usize>,
}

/// The dates task: vocabularies and examples.
#[derive(Clone, Debug, PartialEq)]
pub struct DateData {
    /// Input tokens.
    pub src_vocab: Vocab,
    /// Output tokens.
    pub tgt_vocab: Vocab,
    /// Training and held-out examples; no *date* is in both.
    pub split: Split<DateExample>,
}

/// The example for the date `n` days after 1950-01-01 in format `f`.
pub fn example(n: usize, f: usize, src_vocab: &Vocab, tgt_vocab: &Vocab) -> DateExample {
    let date = date_from_index(n);
    let text = format_date(date, weekday_from_index(n), f);
    let src = src_vocab.encode(&tokenize(&text));
    let mut tgt = tgt_vocab.encode(&target_tokens(date));
    tgt.push(tgt_vocab.encode(&[EOS])[0]);
    DateExample {
        date,
        format: f,
        text,
        src,
        tgt,
    }
}

/// `n_test` held-out examples on distinct dates, then `n_train` training
/// examples on the remaining dates (a date may recur in training, in another
/// format), each in a random format. `n_test` is at most `total_days() − 1`.
pub fn generate(seed: u64, n_train: usize, n_test: usize) -> DateData {
    let src_vocab = source_vocab();
    let tgt_vocab = target_vocab();
    let mut rng = Rng::new(seed);
    let days = total_days();
    let n_test = n_test.min(days - 1);
    let mut order: Vec<usize> = (0..days).collect();
    rng.shuffle(&mut order);
    let (test_days, train_days) = order.split_at(n_test);
    let test = test_days
        .iter()
        .map(|&n| example(n, rng.below(FORMATS.len()), &src_vocab, &tgt_vocab))
        .collect();
    let train = (0..n_train)
        .map(|_| {
            let n = train_days[rng.below(train_days.len())];
            example(n, rng.below(FORMATS.len()), &src_vocab, &tgt_vocab)
        })
        .collect();
    DateData {
        src_vocab,
        tgt_vocab,
        split: Split { train, test },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(d: Date) -> usize {
        (0..total_days())
            .find(|&n| date_from_index(n) == d)
            .unwrap()
    }

    #[test]
    fn calendar_facts() {
        // 100 years with 25 leap years (2000 is one; 1900 and 2100 are outside).
        assert_eq!(total_days(), 100 * 365 + 25);
        assert!(is_leap(2000) && is_leap(1952) && !is_leap(2001) && !is_leap(1900));
        assert_eq!(
            date_from_index(total_days() - 1),
            Date {
                year: 2049,
                month: 12,
                day: 31
            }
        );
        // Known weekdays (any calendar): 2009-03-03 was a Tuesday (the
        // seed's "Tue, Mar 3, 2009"); 1970-01-01 a Thursday; 2000-02-29 a Tuesday.
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(weekday_from_index(index_of(d(2009, 3, 3))), 1);
        assert_eq!(weekday_from_index(index_of(d(1970, 1, 1))), 3);
        assert_eq!(weekday_from_index(index_of(d(2000, 2, 29))), 1);
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(ordinal(23), "23rd");
    }

    #[test]
    fn every_format_of_the_seeds_date() {
        let n = index_of(Date {
            year: 2009,
            month: 3,
            day: 3,
        });
        for (f, want) in FORMATS.iter().enumerate() {
            assert_eq!(
                format_date(date_from_index(n), weekday_from_index(n), f),
                *want
            );
        }
        assert_eq!(
            tokenize("Tue, Mar 3, 2009"),
            vec!["tue", ",", "mar", "3", ",", "2009"]
        );
        let (sv, tv) = (source_vocab(), target_vocab());
        // The sizes data/README.md lists.
        assert_eq!((sv.len(), tv.len()), (283, 134));
        let e = example(n, 2, &sv, &tv);
        assert_eq!(tv.decode(&e.tgt), "2009 - 03 - 03 <eos>");
        assert_eq!(sv.decode(&e.src), "03 / 03 / 09");
    }

    #[test]
    fn every_date_and_format_tokenizes_and_two_digit_years_are_unambiguous() {
        let (sv, tv) = (source_vocab(), target_vocab());
        for n in (0..total_days()).step_by(7) {
            for f in 0..FORMATS.len() {
                let e = example(n, f, &sv, &tv);
                assert_eq!(e.tgt.len(), 6);
            }
        }
        for yy in 0..100 {
            let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
            assert!((FIRST_YEAR..=LAST_YEAR).contains(&year));
        }
    }

    #[test]
    fn held_out_dates_are_never_trained_on() {
        let a = generate(9, 3000, 500);
        assert_eq!(a, generate(9, 3000, 500));
        let held: std::collections::HashSet<Date> = a.split.test.iter().map(|e| e.date).collect();
        assert_eq!(held.len(), 500);
        assert!(a.split.train.iter().all(|e| !held.contains(&e.date)));
    }
}
