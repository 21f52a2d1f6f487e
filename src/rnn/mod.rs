//! Recurrent cells and backpropagation through time: the heart of the seed.
//!
//! - `vanilla.rs`: a⟨t⟩ = g(Waa a⟨t−1⟩ + Wax x⟨t⟩ + ba), g = tanh or ReLU.
//! - `gru.rs`: the GRU with memory cell c, candidate c̃, update gate Γu and
//!   relevance (reset) gate Γr, in both published forms (`GruVariant`).
//! - `lstm.rs`: the LSTM with update (input), forget and output gates.
//! - `sequence.rs`: the whole-sequence unroll shared by the three, the
//!   dispatch over `CellKind`, padding masks, and truncated BPTT.
//! - `bidirectional.rs`: the BRNN over any cell.
//! - `stack.rs`: deep (stacked) RNNs of L layers, optionally bidirectional.
//!
//! Each cell file holds, side by side, the one-step `*_cell_forward` /
//! `*_cell_backward` pair (the course's per-step picture) and the sequence
//! `*_forward` / `*_backward` pair (the same arithmetic with the input
//! projection for all steps hoisted into one GEMM, W_hh packed once, and the
//! weight gradients formed by one GEMM each after the time loop).
//!
//! # Parameters (PyTorch's layout)
//! With G gate blocks (1 for the RNN, 3 for the GRU as [r | z | n], 4 for the
//! LSTM as [i | f | g | o]):
//!
//! ```text
//! weight_ih: (G·H, I)   weight_hh: (G·H, H)   bias_ih: (G·H)   bias_hh: (G·H)
//! ```
//!
//! so a step's pre-activations for a batch are `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`
//! and a checkpoint maps one to one onto a torch state_dict. DERIVATIONS.md
//! gives the mapping to the course's Wax, Waa, ba and per-gate matrices.

pub mod bidirectional;
pub mod gru;
pub mod lstm;
pub mod sequence;
pub mod stack;
pub mod vanilla;

pub use bidirectional::{
    bidirectional_backward, bidirectional_forward, reverse_mask, reverse_time, BiCache,
};
pub use gru::{
    gru_backward, gru_backward_ws, gru_cell_backward, gru_cell_forward, gru_forward,
    gru_forward_ws, GruCache, GruCellCache,
};
pub use lstm::{
    lstm_backward, lstm_backward_ws, lstm_cell_backward, lstm_cell_forward, lstm_forward,
    lstm_forward_ws, LstmCache, LstmCellCache,
};
pub use sequence::{
    sequence_backward, sequence_backward_ws, sequence_forward, sequence_forward_ws, tbptt,
    SeqCache, TbpttResult,
};
pub use stack::{
    stack_backward, stack_backward_ws, stack_forward, stack_forward_train_ws, stack_forward_ws,
    LayerCache, StackCache, StackedRnn,
};
pub use vanilla::{
    rnn_backward, rnn_backward_ws, rnn_cell_backward, rnn_cell_forward, rnn_forward,
    rnn_forward_ws, RnnCache, RnnCellCache,
};

use crate::err;
use crate::linalg::{Matrix, Scalar};
use crate::nn::Activation;
use crate::rng::Rng;

/// The two published GRU forms. Neither is picked silently: every GRU names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GruVariant {
    /// PyTorch / cuDNN: the reset gate multiplies *after* the recurrent product,
    /// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h′ = (1 − z) ⊙ n + z ⊙ h.
    ResetAfter,
    /// The course / Cho et al. 2014: the relevance gate multiplies *before* it,
    /// c̃ = tanh(W_c [Γr ⊙ c⟨t−1⟩, x⟨t⟩] + b_c), c⟨t⟩ = Γu ⊙ c̃ + (1 − Γu) ⊙ c⟨t−1⟩.
    ResetBefore,
}

/// Which recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// The vanilla RNN with g = tanh or ReLU.
    Rnn(Activation),
    /// The GRU in one of its two forms.
    Gru(GruVariant),
    /// The LSTM.
    Lstm,
}

impl CellKind {
    /// G, the number of gate blocks stacked in the weight matrices.
    pub fn gates(self) -> usize {
        match self {
            CellKind::Rnn(_) => 1,
            CellKind::Gru(_) => 3,
            CellKind::Lstm => 4,
        }
    }

    /// True if the cell carries a memory cell c besides h (the LSTM).
    pub fn has_cell_state(self) -> bool {
        matches!(self, CellKind::Lstm)
    }

    /// The name used on the command line: `rnn`, `rnn-relu`, `gru`,
    /// `gru-course`, `lstm`.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Rnn(Activation::Tanh) => "rnn",
            CellKind::Rnn(Activation::Relu) => "rnn-relu",
            CellKind::Gru(GruVariant::ResetAfter) => "gru",
            CellKind::Gru(GruVariant::ResetBefore) => "gru-course",
            CellKind::Lstm => "lstm",
        }
    }

    /// Parses a name written by `name`.
    pub fn parse(s: &str) -> crate::Result<CellKind> {
        match s {
            "rnn" | "rnn-tanh" => Ok(CellKind::Rnn(Activation::Tanh)),
            "rnn-relu" => Ok(CellKind::Rnn(Activation::Relu)),
            "gru" => Ok(CellKind::Gru(GruVariant::ResetAfter)),
            "gru-course" => Ok(CellKind::Gru(GruVariant::ResetBefore)),
            "lstm" => Ok(CellKind::Lstm),
            other => Err(err!(
                "unknown cell {other:?}: expected rnn, rnn-relu, gru, gru-course or lstm"
            )),
        }
    }

    /// Every kind, in the order the gradient-check table lists them.
    pub const ALL: [CellKind; 5] = [
        CellKind::Rnn(Activation::Tanh),
        CellKind::Rnn(Activation::Relu),
        CellKind::Gru(GruVariant::ResetAfter),
        CellKind::Gru(GruVariant::ResetBefore),
        CellKind::Lstm,
    ];
}

/// The four parameter tensors of one recurrent layer (one direction), in
/// PyTorch's layout. The same struct, filled with zeros, holds their gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct CellParams<T> {
    /// Which cell these parameters belong to.
    pub kind: CellKind,
    /// W_ih: (G·H, I).
    pub weight_ih: Matrix<T>,
    /// W_hh: (G·H, H).
    pub weight_hh: Matrix<T>,
    /// b_ih: (G·H).
    pub bias_ih: Vec<T>,
    /// b_hh: (G·H).
    pub bias_hh: Vec<T>,
}

impl<T: Scalar> CellParams<T> {
    /// PyTorch's initialisation: every element from U(−1/√H, 1/√H), drawn in
    /// the order weight_ih, weight_hh, bias_ih, bias_hh, each row by row.
    pub fn new(
        kind: CellKind,
        input_size: usize,
        hidden_size: usize,
        rng: &mut Rng,
    ) -> CellParams<T> {
        let g = kind.gates() * hidden_size;
        let k = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let weight_ih = Matrix::random_uniform(g, input_size, -k, k, rng);
        let weight_hh = Matrix::random_uniform(g, hidden_size, -k, k, rng);
        let bias_ih = (0..g).map(|_| rng.uniform(-k, k)).collect();
        let bias_hh = (0..g).map(|_| rng.uniform(-k, k)).collect();
        CellParams {
            kind,
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh,
        }
    }

    /// All zeros with the same shapes (a gradient buffer).
    pub fn zeros_like(&self) -> CellParams<T> {
        CellParams {
            kind: self.kind,
            weight_ih: Matrix::zeros(self.weight_ih.rows(), self.weight_ih.cols()),
            weight_hh: Matrix::zeros(self.weight_hh.rows(), self.weight_hh.cols()),
            bias_ih: vec![T::ZERO; self.bias_ih.len()],
            bias_hh: vec![T::ZERO; self.bias_hh.len()],
        }
    }

    /// I, the input width.
    pub fn input_size(&self) -> usize {
        self.weight_ih.cols()
    }

    /// H, the hidden width.
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.cols()
    }

    /// Sets every element to zero (before accumulating a new gradient).
    pub fn fill_zero(&mut self) {
        self.weight_ih.fill_zero();
        self.weight_hh.fill_zero();
        self.bias_ih.iter_mut().for_each(|b| *b = T::ZERO);
        self.bias_hh.iter_mut().for_each(|b| *b = T::ZERO);
    }

    /// The same values in another float type.
    pub fn cast<U: Scalar>(&self) -> CellParams<U> {
        CellParams {
            kind: self.kind,
            weight_ih: self.weight_ih.cast(),
            weight_hh: self.weight_hh.cast(),
            bias_ih: self
                .bias_ih
                .iter()
                .map(|&x| U::from_f64(x.to_f64()))
                .collect(),
            bias_hh: self
                .bias_hh
                .iter()
                .map(|&x| U::from_f64(x.to_f64()))
                .collect(),
        }
    }

    /// The four tensors with their PyTorch names, in state_dict order.
    pub fn named(&self) -> [(&'static str, (usize, usize), &[T]); 4] {
        [
            (
                "weight_ih",
                self.weight_ih.shape(),
                self.weight_ih.as_slice(),
            ),
            (
                "weight_hh",
                self.weight_hh.shape(),
                self.weight_hh.as_slice(),
            ),
            ("bias_ih", (1, self.bias_ih.len()), &self.bias_ih),
            ("bias_hh", (1, self.bias_hh.len()), &self.bias_hh),
        ]
    }

    /// The four tensors' elements, in the order of `named` (no names built).
    pub fn tensors(&self) -> [&[T]; 4] {
        [
            self.weight_ih.as_slice(),
            self.weight_hh.as_slice(),
            &self.bias_ih,
            &self.bias_hh,
        ]
    }

    /// Mutable access to the four tensors' elements, in the order of `named`.
    pub fn tensors_mut(&mut self) -> [&mut [T]; 4] {
        [
            self.weight_ih.as_mut_slice(),
            self.weight_hh.as_mut_slice(),
            &mut self.bias_ih,
            &mut self.bias_hh,
        ]
    }
}

/// The recurrent state carried between steps: a⟨t⟩ (called h), and for the
/// LSTM the memory cell c⟨t⟩. Each is (B, H).
#[derive(Clone, Debug, PartialEq)]
pub struct State<T> {
    /// h: (B, H).
    pub h: Matrix<T>,
    /// c: (B, H), LSTM only.
    pub c: Option<Matrix<T>>,
}

impl<T: Scalar> State<T> {
    /// The zero state a⟨0⟩ = 0 (and c⟨0⟩ = 0 for the LSTM).
    pub fn zeros(kind: CellKind, batch: usize, hidden: usize) -> State<T> {
        State {
            h: Matrix::zeros(batch, hidden),
            c: kind.has_cell_state().then(|| Matrix::zeros(batch, hidden)),
        }
    }

    /// The memory cell, or a panic naming the problem if this state has none
    /// (an LSTM was handed a state made for another cell: a programming error).
    pub fn cell(&self) -> &Matrix<T> {
        self.c.as_ref().expect("LSTM state needs a memory cell c")
    }

    /// Copies the values of another state of the same shape.
    pub fn copy_from(&mut self, other: &State<T>) {
        self.h.copy_from(&other.h);
        if let (Some(c), Some(oc)) = (self.c.as_mut(), other.c.as_ref()) {
            c.copy_from(oc);
        }
    }
}
