//! The quadtree behind Barnes-Hut t-SNE (van der Maaten 2014, after Barnes &
//! Hut 1986).
//!
//! The repulsive part of the gradient sums over all pairs. Seen from point i,
//! a far-away group of points acts almost like one point of weight
//! `count` at its centre of mass. The tree splits the plane into square cells
//! (each cell into four quadrants) until every leaf holds one point; each
//! cell stores how many points it holds and their centre of mass. Walking the
//! tree from the root, a cell is used as a whole when it is small compared
//! with its distance:
//!
//! ```text
//! side_cell / ‖y_i − y_cell‖ < θ       (θ = 0 visits every point: exact)
//! ```
//!
//! The side length (not the diagonal) is what the reference implementations
//! compare. A cell that contains y_i itself is never summarised, so a point
//! never repels itself.
//!
//! Layout: nodes live in one `Vec` (index 0 is the root); a node's four
//! children are stored next to each other starting at `first_child`.
//! Points at exactly the same position (or closer than the depth limit can
//! separate) share a leaf, chained through `next`.

/// "No node / no point" in the `u32` links.
const NONE: u32 = u32::MAX;

/// Depth beyond which points are chained in one leaf instead of split.
const MAX_DEPTH: usize = 48;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// Centre of the cell.
    cx: f64,
    cy: f64,
    /// Half the side length.
    half: f64,
    /// Centre of mass of the points inside (a sum while building).
    mx: f64,
    my: f64,
    /// Points inside the cell.
    count: u32,
    /// Index of the first of four children, or NONE for a leaf.
    first_child: u32,
    /// For a leaf: the first point of its chain, or NONE if empty.
    point: u32,
}

impl Node {
    fn new(cx: f64, cy: f64, half: f64) -> Node {
        Node {
            cx,
            cy,
            half,
            mx: 0.0,
            my: 0.0,
            count: 0,
            first_child: NONE,
            point: NONE,
        }
    }

    /// Which child quadrant holds (x, y): bit 0 = east, bit 1 = north.
    fn quadrant(&self, x: f64, y: f64) -> usize {
        (x >= self.cx) as usize + 2 * (y >= self.cy) as usize
    }
}

/// A quadtree over 2-D points, rebuilt every iteration (its buffers are reused).
#[derive(Clone, Debug, Default)]
pub struct QuadTree {
    nodes: Vec<Node>,
    /// Next point in the same leaf, or NONE.
    next: Vec<u32>,
}

impl QuadTree {
    /// An empty tree.
    pub fn new() -> QuadTree {
        QuadTree::default()
    }

    /// Number of nodes in the last build.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True before the first build.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Builds the tree over `y: (N, 2)` stored row-major as [x0, y0, x1, y1, …],
    /// inserting points in index order (so the tree, and every sum over it,
    /// is the same on every run).
    pub fn build(&mut self, y: &[f64]) {
        let n = y.len() / 2;
        assert!(n < NONE as usize, "QuadTree: too many points");
        self.nodes.clear();
        self.next.clear();
        self.next.resize(n, NONE);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for i in 0..n {
            x0 = x0.min(y[2 * i]);
            x1 = x1.max(y[2 * i]);
            y0 = y0.min(y[2 * i + 1]);
            y1 = y1.max(y[2 * i + 1]);
        }
        if n == 0 {
            return;
        }
        let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
        // A square a hair larger than the bounding box, never of size zero.
        let extent = (x1 - x0).max(y1 - y0);
        let half = 0.5 * extent * (1.0 + 1e-6) + 1e-12 * (1.0 + cx.abs() + cy.abs());
        self.nodes.push(Node::new(cx, cy, half));
        for i in 0..n {
            self.insert(i, y);
        }
        // Turn the sums into centres of mass.
        for node in self.nodes.iter_mut() {
            if node.count > 0 {
                node.mx /= node.count as f64;
                node.my /= node.count as f64;
            }
        }
    }

    fn insert(&mut self, i: usize, y: &[f64]) {
        let (px, py) = (y[2 * i], y[2 * i + 1]);
        let mut at = 0usize;
        let mut depth = 0;
        loop {
            let first = self.nodes.len();
            let node = &mut self.nodes[at];
            node.count += 1;
            node.mx += px;
            node.my += py;
            if node.first_child != NONE {
                at = node.first_child as usize + node.quadrant(px, py);
                depth += 1;
                continue;
            }
            if node.point == NONE {
                // An empty leaf: the point settles here.
                node.point = i as u32;
                return;
            }
            let head = node.point as usize;
            let same_place = y[2 * head] == px && y[2 * head + 1] == py;
            if same_place || depth >= MAX_DEPTH {
                // Chain the point into this leaf.
                self.next[i] = node.point;
                node.point = i as u32;
                return;
            }
            // Split: four children; the leaf's existing chain (all at one
            // position) moves into the quadrant of that position.
            let (cx, cy, h) = (node.cx, node.cy, 0.5 * node.half);
            let q_old = node.quadrant(y[2 * head], y[2 * head + 1]);
            let q_new = node.quadrant(px, py);
            node.point = NONE;
            node.first_child = first as u32;
            for q in 0..4 {
                let ccx = if q & 1 == 1 { cx + h } else { cx - h };
                let ccy = if q & 2 == 2 { cy + h } else { cy - h };
                self.nodes.push(Node::new(ccx, ccy, h));
            }
            let mut chain = head;
            let child = &mut self.nodes[first + q_old];
            child.point = head as u32;
            loop {
                child.count += 1;
                child.mx += y[2 * chain];
                child.my += y[2 * chain + 1];
                if self.next[chain] == NONE {
                    break;
                }
                chain = self.next[chain] as usize;
            }
            at = first + q_new;
            depth += 1;
        }
    }

    /// The repulsive sums for point i at (xi, yi), summed over the tree with
    /// the Barnes-Hut criterion (`theta2` = θ²):
    ///
    /// ```text
    /// z_i = Σ_{j≠i} w_ij,   (fx, fy) = Σ_{j≠i} w_ij² (y_i − y_j),   w_ij = 1 / (1 + ‖y_i − y_j‖²)
    /// ```
    ///
    /// where a summarised cell contributes `count` copies of its centre of
    /// mass. Children are visited in a fixed order, so the sums are the same
    /// on every run. `stack` is scratch space. Returns (fx, fy, z_i).
    pub fn repulsion(
        &self,
        i: usize,
        xi: f64,
        yi: f64,
        theta2: f64,
        y: &[f64],
        stack: &mut Vec<u32>,
    ) -> (f64, f64, f64) {
        let (mut fx, mut fy, mut z) = (0.0, 0.0, 0.0);
        stack.clear();
        if self.nodes.is_empty() {
            return (fx, fy, z);
        }
        stack.push(0);
        while let Some(at) = stack.pop() {
            let node = &self.nodes[at as usize];
            if node.first_child == NONE {
                // A leaf: its points one by one (usually just one).
                let mut j = node.point;
                while j != NONE {
                    let ju = j as usize;
                    if ju != i {
                        let dx = xi - y[2 * ju];
                        let dy = yi - y[2 * ju + 1];
                        let w = 1.0 / (1.0 + dx * dx + dy * dy);
                        z += w;
                        fx += w * w * dx;
                        fy += w * w * dy;
                    }
                    j = self.next[ju];
                }
                continue;
            }
            let dx = xi - node.mx;
            let dy = yi - node.my;
            let d2 = dx * dx + dy * dy;
            let side = 2.0 * node.half;
            let contains_i = (xi - node.cx).abs() <= node.half && (yi - node.cy).abs() <= node.half;
            if !contains_i && side * side < theta2 * d2 {
                let c = node.count as f64;
                let w = 1.0 / (1.0 + d2);
                z += c * w;
                let cww = c * w * w;
                fx += cww * dx;
                fy += cww * dy;
                continue;
            }
            // Visit children 0, 1, 2, 3 in that order: push them reversed.
            for q in (0..4).rev() {
                let ch = node.first_child + q;
                if self.nodes[ch as usize].count > 0 {
                    stack.push(ch);
                }
            }
        }
        (fx, fy, z)
    }

    /// Checks the tree's invariants (for tests): counts add up over children,
    /// every point sits inside its leaf's cell, and each point is in exactly
    /// one leaf. Returns a description of the first problem found.
    pub fn check(&self, y: &[f64]) -> Result<(), String> {
        let n = y.len() / 2;
        let mut seen = vec![0usize; n];
        for (a, node) in self.nodes.iter().enumerate() {
            if node.first_child != NONE {
                let f = node.first_child as usize;
                let sum: u32 = (0..4).map(|q| self.nodes[f + q].count).sum();
                if sum != node.count {
                    return Err(format!(
                        "node {a}: count {} but children hold {sum}",
                        node.count
                    ));
                }
                if node.point != NONE {
                    return Err(format!("node {a}: internal node holds a point"));
                }
            } else {
                let mut j = node.point;
                let mut c = 0;
                while j != NONE {
                    let ju = j as usize;
                    seen[ju] += 1;
                    c += 1;
                    let (px, py) = (y[2 * ju], y[2 * ju + 1]);
                    let slack = 1e-9 * node.half.max(1e-300);
                    if (px - node.cx).abs() > node.half + slack
                        || (py - node.cy).abs() > node.half + slack
                    {
                        return Err(format!("point {ju} lies outside its leaf {a}"));
                    }
                    j = self.next[ju];
                }
                if c != node.count {
                    return Err(format!(
                        "leaf {a}: count {} but chain holds {c}",
                        node.count
                    ));
                }
            }
        }
        if let Some(i) = seen.iter().position(|&s| s != 1) {
            return Err(format!("point {i} is in {} leaves", seen[i]));
        }
        Ok(())
    }
}
