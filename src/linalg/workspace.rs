//! A workspace: the memory of matrices a training pass no longer needs, kept
//! so that the next pass reuses it.
//!
//! Why: a forward + backward pass over a sequence allocates a few large
//! buffers (the gate activations, ∂L/∂z for every step, the input gradient),
//! tens of megabytes at H = 1024. Freed between passes, that memory often goes
//! back to the operating system, and the next pass then pays a page fault and
//! a page clear for every 4 KiB it touches — 10–20% of the time of an LSTM
//! layer at B = 32, H = 256. Kept here instead, it is reused as it is.
//!
//! Results never depend on the workspace. `take` hands out memory that may
//! still hold values of an earlier pass, so every user writes each element
//! before it reads it (the input projection and ∂L/∂x are GEMMs with β = 0,
//! which never read C; a⟨t⟩, c⟨t⟩, the gates and ∂L/∂z are written step by
//! step). A pass therefore gives the same bits with a fresh workspace, a
//! reused one, or none (`Workspace::new()` each time); the test
//! `workspace_reuse_gives_the_same_bits` checks it with buffers full of NaN.
//!
//! Use: pass one `&mut Workspace` to the `*_ws` functions (`stack_forward_ws`,
//! `stack_backward_ws`, …) and hand the cache and the gradients back with
//! `keep` when done with them.

use super::{MatRef, Matrix, Op, PackedB, Scalar};

/// Spare buffers, handed out again by `take`.
#[derive(Debug, Default)]
pub struct Workspace<T> {
    spare: Vec<Vec<T>>,
}

impl<T: Scalar> Workspace<T> {
    /// An empty workspace (every `take` allocates until something is kept).
    pub fn new() -> Workspace<T> {
        Workspace { spare: Vec::new() }
    }

    /// A `rows × cols` matrix for the caller to overwrite: the smallest kept
    /// buffer whose capacity suffices, with whatever values it holds, or a
    /// new matrix of zeros when none does. Not zeroing saves a pass over
    /// memory (5% of an LSTM layer's time at B = 32, H = 256).
    pub fn take(&mut self, rows: usize, cols: usize) -> Matrix<T> {
        let n = rows * cols;
        let mut best: Option<usize> = None;
        for (i, buf) in self.spare.iter().enumerate() {
            let fits = buf.capacity() >= n;
            let smaller = match best {
                None => true,
                Some(b) => buf.capacity() < self.spare[b].capacity(),
            };
            if fits && smaller {
                best = Some(i);
            }
        }
        match best {
            Some(i) => {
                let mut data = self.spare.swap_remove(i);
                // Shrinks in place, or grows within the capacity (zeroing
                // only the new tail); never reallocates.
                data.resize(n, T::ZERO);
                Matrix::from_vec(rows, cols, data)
            }
            None => Matrix::zeros(rows, cols),
        }
    }

    /// Keeps `m`'s memory for a later `take`.
    pub fn keep(&mut self, m: Matrix<T>) {
        self.keep_storage(m.into_vec());
    }

    /// op(B) packed (`PackedB::new_in`) into kept memory, as a cell packs
    /// W_hh once per pass; hand it back with `keep_packed`.
    pub fn take_packed(&mut self, op: Op, b: MatRef<T>) -> PackedB<T> {
        let storage = self
            .take(1, PackedB::<T>::storage_len(op, b.shape()))
            .into_vec();
        PackedB::new_in(op, b, storage)
    }

    /// Keeps a packed operand's memory for a later `take` or `take_packed`.
    pub fn keep_packed(&mut self, p: PackedB<T>) {
        self.keep_storage(p.into_storage());
    }

    fn keep_storage(&mut self, data: Vec<T>) {
        if data.capacity() > 0 {
            self.spare.push(data);
        }
    }

    /// How many buffers are kept.
    pub fn len(&self) -> usize {
        self.spare.len()
    }

    /// True when no buffer is kept.
    pub fn is_empty(&self) -> bool {
        self.spare.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_the_smallest_buffer_that_fits() {
        let mut ws = Workspace::<f32>::new();
        ws.keep(Matrix::filled(10, 10, 3.0));
        ws.keep(Matrix::filled(4, 5, 7.0));
        assert_eq!(ws.len(), 2);
        let m = ws.take(3, 6); // 18 elements: the 20-element buffer fits
        assert_eq!(m.shape(), (3, 6));
        assert!(m.as_slice().iter().all(|&v| v == 7.0)); // its old values
        assert_eq!(ws.len(), 1);
        let big = ws.take(20, 20); // nothing kept fits: a new matrix of zeros
        assert_eq!(big.shape(), (20, 20));
        assert!(big.as_slice().iter().all(|&v| v == 0.0));
        assert_eq!(ws.len(), 1);
    }
}
