use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean softmax cross-entropy of `logits` `[n, classes]` against class indices `[n]`
/// (Keras's `sparse_categorical_crossentropy` on a softmax output).
pub fn cross_entropy(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let n = labels.dims()[0];
    log_softmax(logits, 1)
        .gather(1, labels.reshape([n, 1]))
        .mean()
        .neg()
}

/// How many predictions (argmax of `scores`, logits or probabilities) are right, as a float.
pub fn correct(scores: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    let n = labels.dims()[0];
    scores.argmax(1).equal(labels.reshape([n, 1])).float().sum()
}
