//! Histograms as text: HdrHistogram's V2 encoding in base64, as in HdrHistogram interval logs.
//! Shard outputs and resume checkpoints carry them, so merged and resumed sweeps report the
//! same percentiles as one uninterrupted sweep.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;

use super::stats::new_histogram;

/// The V2 encoding of `histogram`, in base64.
pub fn encode_histogram(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(histogram, &mut bytes)
        .expect("serializing into memory cannot fail");
    STANDARD.encode(bytes)
}

/// The histogram `text` encodes, as a histogram that grows to hold any value; the error says
/// what is wrong with the text.
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    let decoded: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram is not a V2 HdrHistogram: {e:?}"))?;
    let mut histogram = new_histogram();
    histogram
        .add(&decoded)
        .map_err(|e| format!("histogram cannot be added: {e:?}"))?;
    Ok(histogram)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_survives_the_round_trip_exactly() {
        let mut histogram = new_histogram();
        for value in [0, 1, 17, 17, 250_000, 9_000_000_000] {
            histogram.record(value).unwrap();
        }
        let back = decode_histogram(&encode_histogram(&histogram)).unwrap();
        assert_eq!(back, histogram);
        assert_eq!(back.max(), histogram.max());
        assert!(decode_histogram("not base64!")
            .unwrap_err()
            .contains("base64"));
        assert!(decode_histogram("AAAA").is_err());
    }
}
