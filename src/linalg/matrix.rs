//! `Matrix<T>`: a row-major `rows × cols` block of numbers that owns its storage,
//! and `MatRef` / `MatMut`, borrowed views of a rectangle inside one.
//!
//! Layout, as everywhere in the crate: one example per row, `(B, features)`. A
//! sequence of T steps is stored time-major as one `(T·B, F)` matrix, so that
//! step t is the row block `t·B .. (t+1)·B` (see `rows_range`).
//!
//! Element `(i, j)` of a matrix lives at `data[i * cols + j]`. A view adds a row
//! stride: element `(i, j)` of a view lives at `data[i * stride + j]`.
//!
//! A shape mismatch is a programming error, so it panics, with a message that
//! names both shapes. Data that comes from users goes through `Result` elsewhere.

use super::gemm::{gemm, Op};
use super::Scalar;
use crate::rng::Rng;
use std::fmt;

/// A dense row-major matrix that owns its elements.
#[derive(Clone, PartialEq)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

/// A borrowed read-only view: `rows × cols`, row `i` starting at `i * stride`.
#[derive(Clone, Copy)]
pub struct MatRef<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    stride: usize,
}

/// A borrowed mutable view: `rows × cols`, row `i` starting at `i * stride`.
pub struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    stride: usize,
}

/// Panics with both shapes if they differ. Used by every element-wise op.
#[track_caller]
pub fn assert_same_shape(what: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(
        a == b,
        "{what}: shape mismatch {:?} vs {:?}",
        ShapeFmt(a),
        ShapeFmt(b)
    );
}

struct ShapeFmt((usize, usize));
impl fmt::Debug for ShapeFmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.0 .0, self.0 .1)
    }
}

impl<T: Scalar> Matrix<T> {
    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Matrix<T> {
        Matrix {
            rows,
            cols,
            data: vec![T::ZERO; rows * cols],
        }
    }

    /// A `rows × cols` matrix with every element equal to `value`.
    pub fn filled(rows: usize, cols: usize, value: T) -> Matrix<T> {
        Matrix {
            rows,
            cols,
            data: vec![value; rows * cols],
        }
    }

    /// Wraps a row-major `Vec`. Panics if `data.len() != rows * cols`.
    #[track_caller]
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Matrix<T> {
        assert!(
            data.len() == rows * cols,
            "Matrix::from_vec: shape ({rows}, {cols}) needs {} elements, got {}",
            rows * cols,
            data.len()
        );
        Matrix { rows, cols, data }
    }

    /// Element `(i, j)` is `f(i, j)`, filled row by row.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Matrix<T> {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Matrix { rows, cols, data }
    }

    /// Every element drawn from U(lo, hi), row by row (see `Rng::uniform`).
    pub fn random_uniform(rows: usize, cols: usize, lo: f64, hi: f64, rng: &mut Rng) -> Matrix<T> {
        Matrix::from_fn(rows, cols, |_, _| rng.uniform(lo, hi))
    }

    /// Every element drawn from N(0, std²), row by row (see `Rng::normal`).
    pub fn random_normal(rows: usize, cols: usize, std: f64, rng: &mut Rng) -> Matrix<T> {
        Matrix::from_fn(rows, cols, |_, _| T::from_f64(std * rng.normal()))
    }

    /// The `n × n` identity.
    pub fn identity(n: usize) -> Matrix<T> {
        Matrix::from_fn(n, n, |i, j| if i == j { T::ONE } else { T::ZERO })
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True if the matrix has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// All elements, row-major.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// All elements, row-major, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Gives up the storage.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Same elements, new shape with the same element count.
    #[track_caller]
    pub fn reshape(self, rows: usize, cols: usize) -> Matrix<T> {
        assert!(
            rows * cols == self.data.len(),
            "Matrix::reshape: ({}, {}) to ({rows}, {cols})",
            self.rows,
            self.cols
        );
        Matrix {
            rows,
            cols,
            data: self.data,
        }
    }

    /// Element `(i, j)`.
    #[inline]
    #[track_caller]
    pub fn get(&self, i: usize, j: usize) -> T {
        assert!(
            i < self.rows && j < self.cols,
            "Matrix::get: ({i}, {j}) outside {:?}",
            ShapeFmt(self.shape())
        );
        self.data[i * self.cols + j]
    }

    /// Sets element `(i, j)`.
    #[inline]
    #[track_caller]
    pub fn set(&mut self, i: usize, j: usize, v: T) {
        assert!(
            i < self.rows && j < self.cols,
            "Matrix::set: ({i}, {j}) outside {:?}",
            ShapeFmt(self.shape())
        );
        self.data[i * self.cols + j] = v;
    }

    /// Row `i` as a slice of length `cols`.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i` as a mutable slice.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The whole matrix as a view.
    #[inline]
    pub fn view(&self) -> MatRef<'_, T> {
        MatRef {
            data: &self.data,
            rows: self.rows,
            cols: self.cols,
            stride: self.cols,
        }
    }

    /// The whole matrix as a mutable view.
    #[inline]
    pub fn view_mut(&mut self) -> MatMut<'_, T> {
        MatMut {
            rows: self.rows,
            cols: self.cols,
            stride: self.cols,
            data: &mut self.data,
        }
    }

    /// Rows `r0 .. r1` as a view (for a time-major sequence, step t is rows `t·B .. (t+1)·B`).
    #[inline]
    pub fn rows_range(&self, r0: usize, r1: usize) -> MatRef<'_, T> {
        self.view().rows_range(r0, r1)
    }

    /// Rows `r0 .. r1` as a mutable view.
    #[inline]
    pub fn rows_range_mut(&mut self, r0: usize, r1: usize) -> MatMut<'_, T> {
        self.view_mut().into_rows_range(r0, r1)
    }

    /// The rectangle of rows `r0 .. r0+nr` and columns `c0 .. c0+nc`.
    #[inline]
    pub fn block(&self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatRef<'_, T> {
        self.view().block(r0, c0, nr, nc)
    }

    /// The rectangle of rows `r0 .. r0+nr` and columns `c0 .. c0+nc`, mutable.
    #[inline]
    pub fn block_mut(&mut self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatMut<'_, T> {
        self.view_mut().into_block(r0, c0, nr, nc)
    }

    /// Sets every element to `v`.
    pub fn fill(&mut self, v: T) {
        for x in self.data.iter_mut() {
            *x = v;
        }
    }

    /// Sets every element to zero (gradient buffers are zeroed by this, then accumulated into).
    pub fn fill_zero(&mut self) {
        self.fill(T::ZERO);
    }

    /// Copies the elements of `other` (same shape) into `self`.
    #[track_caller]
    pub fn copy_from(&mut self, other: &Matrix<T>) {
        assert_same_shape("Matrix::copy_from", self.shape(), other.shape());
        self.data.copy_from_slice(&other.data);
    }

    /// `self += other`, element by element.
    #[track_caller]
    pub fn add_assign(&mut self, other: &Matrix<T>) {
        assert_same_shape("Matrix::add_assign", self.shape(), other.shape());
        for (x, &y) in self.data.iter_mut().zip(&other.data) {
            *x += y;
        }
    }

    /// `self -= other`, element by element.
    #[track_caller]
    pub fn sub_assign(&mut self, other: &Matrix<T>) {
        assert_same_shape("Matrix::sub_assign", self.shape(), other.shape());
        for (x, &y) in self.data.iter_mut().zip(&other.data) {
            *x -= y;
        }
    }

    /// `self ⊙= other` (Hadamard product, in place).
    #[track_caller]
    pub fn mul_assign(&mut self, other: &Matrix<T>) {
        assert_same_shape("Matrix::mul_assign", self.shape(), other.shape());
        for (x, &y) in self.data.iter_mut().zip(&other.data) {
            *x *= y;
        }
    }

    /// `self ⊙ other` as a new matrix.
    #[track_caller]
    pub fn hadamard(&self, other: &Matrix<T>) -> Matrix<T> {
        let mut out = self.clone();
        out.mul_assign(other);
        out
    }

    /// `self ← α · self`.
    pub fn scale(&mut self, alpha: T) {
        for x in self.data.iter_mut() {
            *x *= alpha;
        }
    }

    /// `self ← self + α · x` (BLAS axpy).
    #[track_caller]
    pub fn axpy(&mut self, alpha: T, x: &Matrix<T>) {
        assert_same_shape("Matrix::axpy", self.shape(), x.shape());
        for (y, &xv) in self.data.iter_mut().zip(&x.data) {
            *y += alpha * xv;
        }
    }

    /// Adds the row vector `bias` (length `cols`) to every row.
    #[track_caller]
    pub fn add_row_vector(&mut self, bias: &[T]) {
        assert!(
            bias.len() == self.cols,
            "Matrix::add_row_vector: matrix ({}, {}) vs row of length {}",
            self.rows,
            self.cols,
            bias.len()
        );
        for r in self.data.chunks_exact_mut(self.cols.max(1)) {
            for (x, &b) in r.iter_mut().zip(bias) {
                *x += b;
            }
        }
    }

    /// Adds the column sums of `self` into `out` (length `cols`): the bias gradient.
    #[track_caller]
    pub fn add_column_sums_into(&self, out: &mut [T]) {
        assert!(
            out.len() == self.cols,
            "Matrix::add_column_sums_into: matrix ({}, {}) vs output of length {}",
            self.rows,
            self.cols,
            out.len()
        );
        for r in self.data.chunks_exact(self.cols.max(1)) {
            for (o, &x) in out.iter_mut().zip(r) {
                *o += x;
            }
        }
    }

    /// Applies `f` to every element, returning a new matrix.
    pub fn map(&self, f: impl Fn(T) -> T) -> Matrix<T> {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }

    /// The transpose, as a new matrix.
    pub fn transpose(&self) -> Matrix<T> {
        let mut out = Matrix::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                out.data[j * self.rows + i] = self.data[i * self.cols + j];
            }
        }
        out
    }

    /// Sum of all elements (in f64 accumulation order, row-major).
    pub fn sum(&self) -> T {
        let mut s = 0.0f64;
        for &x in &self.data {
            s += x.to_f64();
        }
        T::from_f64(s)
    }

    /// Σ x², accumulated in f64.
    pub fn norm_sq(&self) -> f64 {
        self.data.iter().map(|&x| x.to_f64() * x.to_f64()).sum()
    }

    /// max |x| (0 for an empty matrix).
    pub fn max_abs(&self) -> T {
        self.data.iter().fold(T::ZERO, |m, &x| m.max(x.abs()))
    }

    /// True if every element is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// The same values in another float type (f32 → f64 is exact).
    pub fn cast<U: Scalar>(&self) -> Matrix<U> {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect(),
        }
    }

    /// `op(a) · op(b)` as a new matrix, through `gemm`.
    pub fn matmul(a: &Matrix<T>, op_a: Op, b: &Matrix<T>, op_b: Op) -> Matrix<T> {
        let m = if op_a == Op::N { a.rows } else { a.cols };
        let n = if op_b == Op::N { b.cols } else { b.rows };
        let mut c = Matrix::zeros(m, n);
        gemm(
            op_a,
            op_b,
            T::ONE,
            a.view(),
            b.view(),
            T::ZERO,
            c.view_mut(),
        );
        c
    }
}

impl<T: fmt::Debug> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Matrix ({}, {}) [", self.rows, self.cols)?;
        for i in 0..self.rows.min(8) {
            write!(f, "  ")?;
            for j in 0..self.cols.min(8) {
                write!(f, "{:?} ", self.data[i * self.cols + j])?;
            }
            if self.cols > 8 {
                write!(f, "…")?;
            }
            writeln!(f)?;
        }
        if self.rows > 8 {
            writeln!(f, "  …")?;
        }
        write!(f, "]")
    }
}

impl<T: Scalar> std::ops::Index<(usize, usize)> for Matrix<T> {
    type Output = T;
    #[inline]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        debug_assert!(i < self.rows && j < self.cols);
        &self.data[i * self.cols + j]
    }
}

impl<T: Scalar> std::ops::IndexMut<(usize, usize)> for Matrix<T> {
    #[inline]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        debug_assert!(i < self.rows && j < self.cols);
        &mut self.data[i * self.cols + j]
    }
}

impl<'a, T: Scalar> MatRef<'a, T> {
    /// A view over a row-major slice with the given row stride. Panics if the
    /// slice is too short for the shape.
    #[track_caller]
    pub fn new(data: &'a [T], rows: usize, cols: usize, stride: usize) -> MatRef<'a, T> {
        assert!(
            cols <= stride || rows <= 1,
            "MatRef::new: cols {cols} > stride {stride}"
        );
        let need = if rows == 0 {
            0
        } else {
            (rows - 1) * stride + cols
        };
        assert!(
            data.len() >= need,
            "MatRef::new: ({rows}, {cols}) with stride {stride} needs {need} elements, slice has {}",
            data.len()
        );
        MatRef {
            data,
            rows,
            cols,
            stride,
        }
    }

    /// A `rows × cols` view of a slice holding exactly that many elements.
    #[track_caller]
    pub fn from_slice(data: &'a [T], rows: usize, cols: usize) -> MatRef<'a, T> {
        assert!(
            data.len() == rows * cols,
            "MatRef::from_slice: ({rows}, {cols}) vs {} elements",
            data.len()
        );
        MatRef::new(data, rows, cols, cols)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Distance between the starts of consecutive rows.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// The underlying slice, starting at element (0, 0).
    #[inline]
    pub fn data(&self) -> &'a [T] {
        self.data
    }
    /// Element `(i, j)`.
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.stride + j]
    }
    /// Row `i` (length `cols`).
    #[inline]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.stride..i * self.stride + self.cols]
    }
    /// Rows `r0 .. r1`.
    #[track_caller]
    pub fn rows_range(self, r0: usize, r1: usize) -> MatRef<'a, T> {
        self.block(r0, 0, r1 - r0, self.cols)
    }
    /// The rectangle at `(r0, c0)` of shape `(nr, nc)`.
    #[track_caller]
    pub fn block(self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatRef<'a, T> {
        assert!(
            r0 + nr <= self.rows && c0 + nc <= self.cols,
            "block ({r0}.., {c0}..) of shape ({nr}, {nc}) outside view ({}, {})",
            self.rows,
            self.cols
        );
        if nr == 0 {
            return MatRef {
                data: &[],
                rows: 0,
                cols: nc,
                stride: self.stride,
            };
        }
        let start = r0 * self.stride + c0;
        MatRef {
            data: &self.data[start..],
            rows: nr,
            cols: nc,
            stride: self.stride,
        }
    }
    /// Copies the view into a new owned matrix.
    pub fn to_matrix(&self) -> Matrix<T> {
        Matrix::from_fn(self.rows, self.cols, |i, j| self.at(i, j))
    }
}

impl<'a, T: Scalar> MatMut<'a, T> {
    /// A mutable view over a row-major slice with the given row stride.
    #[track_caller]
    pub fn new(data: &'a mut [T], rows: usize, cols: usize, stride: usize) -> MatMut<'a, T> {
        assert!(
            cols <= stride || rows <= 1,
            "MatMut::new: cols {cols} > stride {stride}"
        );
        let need = if rows == 0 {
            0
        } else {
            (rows - 1) * stride + cols
        };
        assert!(
            data.len() >= need,
            "MatMut::new: ({rows}, {cols}) with stride {stride} needs {need} elements, slice has {}",
            data.len()
        );
        MatMut {
            data,
            rows,
            cols,
            stride,
        }
    }

    /// A `rows × cols` mutable view of a slice holding exactly that many elements.
    #[track_caller]
    pub fn from_slice(data: &'a mut [T], rows: usize, cols: usize) -> MatMut<'a, T> {
        assert!(
            data.len() == rows * cols,
            "MatMut::from_slice: ({rows}, {cols}) vs {} elements",
            data.len()
        );
        MatMut::new(data, rows, cols, cols)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Distance between the starts of consecutive rows.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// The underlying slice, starting at element (0, 0).
    #[inline]
    pub fn data_mut(&mut self) -> &mut [T] {
        self.data
    }
    /// Row `i` (length `cols`), mutable.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        let s = i * self.stride;
        &mut self.data[s..s + self.cols]
    }
    /// Row `i` (length `cols`).
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        let s = i * self.stride;
        &self.data[s..s + self.cols]
    }
    /// A shorter-lived mutable view of the same rectangle.
    #[inline]
    pub fn reborrow(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            stride: self.stride,
        }
    }
    /// A read-only view of the same rectangle.
    #[inline]
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            stride: self.stride,
        }
    }
    /// Rows `r0 .. r1`, consuming the view.
    #[track_caller]
    pub fn into_rows_range(self, r0: usize, r1: usize) -> MatMut<'a, T> {
        let cols = self.cols;
        self.into_block(r0, 0, r1 - r0, cols)
    }
    /// The rectangle at `(r0, c0)` of shape `(nr, nc)`, consuming the view.
    #[track_caller]
    pub fn into_block(self, r0: usize, c0: usize, nr: usize, nc: usize) -> MatMut<'a, T> {
        assert!(
            r0 + nr <= self.rows && c0 + nc <= self.cols,
            "block ({r0}.., {c0}..) of shape ({nr}, {nc}) outside view ({}, {})",
            self.rows,
            self.cols
        );
        if nr == 0 {
            return MatMut {
                data: &mut [],
                rows: 0,
                cols: nc,
                stride: self.stride,
            };
        }
        let start = r0 * self.stride + c0;
        MatMut {
            data: &mut self.data[start..],
            rows: nr,
            cols: nc,
            stride: self.stride,
        }
    }
    /// Columns `c0 .. c0+nc` of every row, consuming `self`.
    #[track_caller]
    pub fn into_cols(self, c0: usize, nc: usize) -> MatMut<'a, T> {
        let rows = self.rows;
        self.into_block(0, c0, rows, nc)
    }
}
