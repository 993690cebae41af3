//! `RecordState` for our optimizer states, written out: Burn's derive only works inside
//! burn-optim (it names `crate::RecordState`).

use burn::optim::{StateSink, StateSource};
use burn::tensor::{Device, Tensor};
use burn_pack::Scalar;

pub fn put_tensor<const D: usize>(
    out: &mut StateSink,
    prefix: &str,
    leaf: &str,
    tensor: &Tensor<D>,
) {
    out.push_tensor(prefix, leaf, tensor.clone().into_data());
}

pub fn take_tensor<const D: usize>(
    src: &mut StateSource,
    prefix: &str,
    leaf: &str,
    device: &Device,
) -> Option<Tensor<D>> {
    Some(Tensor::from_data(src.take_tensor(prefix, leaf)?, device))
}

pub fn put_scalar(out: &mut StateSink, prefix: &str, leaf: &str, value: impl Into<Scalar>) {
    out.push_scalar(prefix, leaf, value.into());
}

pub fn take_scalar<T: TryFrom<Scalar>>(
    src: &mut StateSource,
    prefix: &str,
    leaf: &str,
) -> Option<T> {
    T::try_from(src.take_scalar(prefix, leaf)?).ok()
}
