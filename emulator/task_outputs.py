"""Synthesized outputs for Workers AI models that are not text generation, per task."""

from __future__ import annotations

from typing import Any

from emulator.catalog import Model
from emulator.completion import TaskOutput, Usage
from emulator.synth import Synth
from emulator.tokens import count_tokens


def synthesize_task_output(model: Model, model_input: Any, synth: Synth) -> TaskOutput:
    task = model.task
    data = model_input if isinstance(model_input, dict) else {}
    if task == "Text Embeddings":
        texts = data.get("text", "")
        texts = [texts] if isinstance(texts, str) else list(texts)
        dims = int(model.output.get("dimensions", 768))
        pooling = data.get("pooling", model.output.get("pooling", "mean"))
        vectors = [synth.embedding(dims) for _ in texts]
        tokens = sum(count_tokens(t) for t in texts)
        return TaskOutput({"shape": [len(vectors), dims], "data": vectors, "pooling": pooling}, usage=Usage(tokens, 0))
    if task == "Text-to-Image":
        png = synth.png()
        if model.output.get("format") == "binary":
            return TaskOutput(png, content_type="image/png")
        return TaskOutput({"image": synth.b64(png)})
    if task == "Text-to-Speech":
        mp3 = synth.mp3()
        if model.output.get("format") == "binary":
            return TaskOutput(mp3, content_type="audio/mpeg")
        return TaskOutput({"audio": synth.b64(mp3)})
    if task == "Automatic Speech Recognition":
        return TaskOutput(_transcription(model, data, synth))
    if task == "Text Classification":
        labels = list(model.output.get("labels", ["NEGATIVE", "POSITIVE"]))
        first = round(synth.rng.uniform(0.5, 0.999), 6)
        scores = [first] + [round((1 - first) / max(len(labels) - 1, 1), 6)] * (len(labels) - 1)
        synth.rng.shuffle(labels)
        return TaskOutput([{"label": label, "score": score} for label, score in zip(labels, scores)])
    if task == "Image Classification":
        labels = [synth.words(1).upper() for _ in range(5)]
        scores = sorted((round(synth.rng.uniform(0.0, 0.5), 6) for _ in labels), reverse=True)
        return TaskOutput([{"label": label, "score": score} for label, score in zip(labels, scores)])
    if task == "Object Detection":
        boxes = []
        for _ in range(synth.rng.randint(1, 3)):
            xmin, ymin = synth.rng.randint(0, 300), synth.rng.randint(0, 300)
            boxes.append({
                "score": round(synth.rng.uniform(0.5, 0.999), 6),
                "label": synth.words(1),
                "box": {"xmin": xmin, "ymin": ymin, "xmax": xmin + synth.rng.randint(10, 200), "ymax": ymin + synth.rng.randint(10, 200)},
            })
        return TaskOutput(boxes)
    if task == "Translation":
        return TaskOutput({"translated_text": synth.language_sentence(data.get("target_lang", "fr"))})
    if task == "Summarization":
        summary = synth.paragraph()
        limit = data.get("max_length")
        if isinstance(limit, int):
            summary = summary[:limit]
        return TaskOutput({"summary": summary})
    if task == "Image-to-Text":
        return TaskOutput({"description": synth.paragraph()})
    return TaskOutput({"response": synth.paragraph()})


def _transcription(model: Model, data: dict[str, Any], synth: Synth) -> dict[str, Any]:
    text = synth.sentence()
    words = []
    start = 0.0
    for word in text.split():
        end = round(start + synth.rng.uniform(0.2, 0.6), 2)
        words.append({"word": word, "start": start, "end": end})
        start = end
    vtt = "WEBVTT\n\n" + "".join(
        f"{_ts(w['start'])} --> {_ts(w['end'])}\n{w['word']}\n\n" for w in words
    )
    if model.output.get("format") == "whisper_turbo":
        duration = words[-1]["end"] if words else 0.0
        return {
            "transcription_info": {
                "language": data.get("language", "en"),
                "language_probability": round(synth.rng.uniform(0.9, 1.0), 6),
                "duration": duration,
                "duration_after_vad": duration,
            },
            "text": text,
            "word_count": len(words),
            "segments": [{
                "start": 0.0, "end": duration, "text": text, "temperature": 0.0,
                "avg_logprob": round(synth.rng.uniform(-0.5, -0.05), 6),
                "compression_ratio": round(synth.rng.uniform(0.8, 1.6), 6),
                "no_speech_prob": round(synth.rng.uniform(0.0, 0.05), 6),
                "words": words,
            }],
            "vtt": vtt,
        }
    return {"text": text, "word_count": len(words), "words": words, "vtt": vtt}


def _ts(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:06.3f}"
