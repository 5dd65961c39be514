//! [`Pairs`]: a call's converted header and param pairs, kept in one text buffer.

/// Name/value pairs in one text buffer, the bounds of the first 8 inline: converting a
/// call's headers then its params allocates once (the text), and [`Pairs::refs`] lends them
/// as `(&str, &str)` without allocating when they are 8 or fewer.
#[derive(Debug, Default, Clone)]
pub struct Pairs {
    text: String,
    ends: [(usize, usize); 8],
    more: Vec<(usize, usize)>,
    len: usize,
}

impl Pairs {
    /// Appends a pair.
    pub fn push(&mut self, name: &str, value: &str) {
        if self.len == 0 {
            self.text.reserve(256);
        }
        self.text.push_str(name);
        let mid = self.text.len();
        self.text.push_str(value);
        match self.ends.get_mut(self.len) {
            Some(e) => *e = (mid, self.text.len()),
            None => self.more.push((mid, self.text.len())),
        }
        self.len += 1;
    }

    /// How many pairs there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the first `n` pairs.
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
        self.more.truncate(n.saturating_sub(self.ends.len()));
        let end = self.bounds().last().map_or(0, |&(_, end)| end);
        self.text.truncate(end);
    }

    fn bounds(&self) -> impl Iterator<Item = &(usize, usize)> {
        self.ends.iter().chain(&self.more).take(self.len)
    }

    /// The pairs, in order: written into `stack` when they fit, else into `heap`.
    pub fn refs<'s>(
        &'s self,
        stack: &'s mut [(&'s str, &'s str); 8],
        heap: &'s mut Vec<(&'s str, &'s str)>,
    ) -> &'s [(&'s str, &'s str)] {
        let room = if self.len <= stack.len() {
            &mut stack[..]
        } else {
            heap.resize(self.len, ("", ""));
            &mut heap[..]
        };
        let mut start = 0;
        for (slot, &(mid, end)) in room.iter_mut().zip(self.bounds()) {
            let name = self.text.get(start..mid).unwrap_or_default();
            *slot = (name, self.text.get(mid..end).unwrap_or_default());
            start = end;
        }
        room.get(..self.len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Pairs;

    #[test]
    fn pairs_round_trip_inline_and_spilled() {
        let names: Vec<String> = (0..40).map(|i| format!("n{i}é")).collect();
        let values: Vec<String> = (0..40).map(|i| format!("v{}", "x".repeat(i))).collect();
        for count in [0, 1, 8, 9, 40] {
            let mut p = Pairs::default();
            for (n, v) in names.iter().zip(&values).take(count) {
                p.push(n, v);
            }
            assert_eq!(p.len(), count);
            let (mut stack, mut heap) = ([("", ""); 8], Vec::new());
            let got = p.refs(&mut stack, &mut heap).to_vec();
            let want: Vec<(&str, &str)> = names
                .iter()
                .zip(&values)
                .take(count)
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(got, want);
            for keep in [0, 3, 8, 20] {
                let mut t = p.clone();
                t.truncate(keep);
                t.push("a", "b");
                let (mut stack, mut heap) = ([("", ""); 8], Vec::new());
                let mut want = want[..keep.min(count)].to_vec();
                want.push(("a", "b"));
                assert_eq!(t.refs(&mut stack, &mut heap), &want[..]);
            }
        }
    }
}
