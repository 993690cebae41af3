//! A four-parameter test problem for optimizer reference tests: loss = Σ w³/3 + c·w, so the
//! gradient is w² + c, varies with w, and takes both signs.

use burn::module::{Module, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
struct Point {
    w: Param<Tensor<1>>,
}

const START: [f32; 4] = [0.5, -1.0, 2.0, 0.0];
const C: [f32; 4] = [1.0, 2.0, -3.0, 0.5];

/// The parameters after each of `steps` optimizer steps.
pub fn run_steps(mut optim: ModuleOptimizer, lr: f64, steps: usize) -> Vec<[f32; 4]> {
    let device = Device::flex().autodiff();
    let mut point = Point {
        w: Param::from_tensor(Tensor::from_floats(START, &device)),
    };
    let c = Tensor::<1>::from_floats(C, &device);
    (0..steps)
        .map(|_| {
            let w = point.w.val();
            let loss = (w.clone().powi_scalar(3).div_scalar(3.0) + w * c.clone()).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &point);
            point = optim.step(lr, point.clone(), grads);
            let values = point.w.val().into_data().try_to_vec::<f32>().unwrap();
            values.try_into().unwrap()
        })
        .collect()
}

pub fn assert_close(got: &[[f32; 4]], expected: &[[f64; 4]]) {
    assert_eq!(got.len(), expected.len());
    for (step, (g, e)) in got.iter().zip(expected).enumerate() {
        for (a, b) in g.iter().zip(e) {
            assert!(
                (*a as f64 - b).abs() < 2e-6,
                "step {}: {g:?} vs reference {e:?}",
                step + 1
            );
        }
    }
}

// Reference parameters after each of five steps at lr = 0.01, from PyTorch 2.15.0 (CPU):
// ```python
// import torch
// def run(make):
//     w = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
//     c = torch.tensor([1.0, 2.0, -3.0, 0.5])
//     opt = make([w])
//     for step in range(5):
//         opt.zero_grad()
//         loss = (w ** 3).sum() / 3 + (w * c).sum()
//         loss.backward()
//         opt.step()
//         print([float(x) for x in w.detach()])
// run(lambda p: torch.optim.NAdam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-7, momentum_decay=4e-3))
// run(lambda p: torch.optim.SGD(p, lr=0.01))
// run(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9))
// run(lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True))
// ```
pub const NADAM_REFERENCE: [[f64; 4]; 5] = [
    [0.489435494, -1.01056457, 1.98943543, -0.0105645144],
    [0.481627852, -1.01842582, 1.98174989, -0.0184021313],
    [0.474348068, -1.0257839, 1.97465062, -0.0257266108],
    [0.467092931, -1.03314197, 1.96763647, -0.0330416113],
    [0.459702641, -1.04066241, 1.96055567, -0.0405091159],
];
/// Keras 3.15.1's Nadam on the same problem (the script is in the test that uses it).
pub const NADAM_KERAS3_REFERENCE: [[f64; 4]; 5] = [
    [
        0.4893721342086792,
        -1.0106278657913208,
        1.9893721342086792,
        -0.010627875104546547,
    ],
    [
        0.4816646873950958,
        -1.0183875560760498,
        1.981783390045166,
        -0.01836451143026352,
    ],
    [
        0.4745906591415405,
        -1.0255342721939087,
        1.974877119064331,
        -0.02548002079129219,
    ],
    [
        0.4676225483417511,
        -1.0325937271118164,
        1.9681233167648315,
        -0.032501254230737686,
    ],
    [
        0.4605787396430969,
        -1.0397484302520752,
        1.9613443613052368,
        -0.03961081802845001,
    ],
];
pub const SGD_PLAIN_REFERENCE: [[f64; 4]; 5] = [
    [0.487500012, -1.02999997, 1.99000001, -0.00499999989],
    [0.475123435, -1.06060898, 1.98039901, -0.0100002494],
    [0.462866008, -1.09185791, 1.97117925, -0.0150012495],
    [0.450723559, -1.12377942, 1.96232378, -0.0200034995],
    [0.438692033, -1.15640819, 1.95381665, -0.0250075012],
];
pub const SGD_MOMENTUM_REFERENCE: [[f64; 4]; 5] = [
    [0.487500012, -1.02999997, 1.99000001, -0.00499999989],
    [0.463873446, -1.08760893, 1.97139907, -0.0145002492],
    [0.430457771, -1.17128599, 1.94579399, -0.0280525759],
    [0.388530701, -1.28031445, 1.91488826, -0.0452575386],
    [0.339286774, -1.41483212, 1.88040519, -0.06576249],
];
pub const SGD_NESTEROV_REFERENCE: [[f64; 4]; 5] = [
    [0.476249993, -1.05700004, 1.98099995, -0.00949999969],
    [0.442815542, -1.14052773, 1.95533705, -0.0230517145],
    [0.401040226, -1.25036275, 1.92491627, -0.0402575396],
    [0.352151394, -1.38721168, 1.89154685, -0.0607687905],
    [0.297242731, -1.55286789, 1.85688102, -0.0842844993],
];
