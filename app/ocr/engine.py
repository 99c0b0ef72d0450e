"""The local OCR engine (RapidOCR: PP-OCRv4 models inside the wheel, onnxruntime on the CPU), loaded once per process.

read_lines(data) decodes a JPEG/PNG or the first page of a PDF, finds the text lines, turns the page upright
(90/180/270° and up to ±45° of skew: the detector's boxes give the angle, the direction classifier votes on
upside-down) and returns the recognised lines in reading order. No Flask here; the web layer sets the wait.
"""
from __future__ import annotations

import io
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from app.domain.errors import DomainError, Message, N_
from app.domain.files import sniff

MAX_SIDE = 1280  # larger photos are shrunk first: a card needs no more, and it bounds time and memory
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo decodes to 150 MB; anything larger is refused
DET_SIDE = 800  # the detector's input; 960 read the same cards with 7 % more CPU (bench/ocr.py)
PDF_SCALE = 200 / 72  # render the first PDF page at 200 dpi


class EngineBusy(DomainError):
    """Every engine slot stayed busy for longer than the configured wait (503)."""

    http_status = 503


class BadImage(DomainError):
    """The upload is no readable JPEG/PNG/PDF image (422)."""


@dataclass(frozen=True)
class Line:
    """One recognised text line in the upright frame of the page."""

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        """The vertical centre."""
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        """The line height."""
        return self.y1 - self.y0


_model = None
_load_lock = threading.Lock()
_run_lock = threading.Lock()


def model():
    """The shared RapidOCR instance (models load on first use, once per process)."""
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                from rapidocr_onnxruntime import RapidOCR

                # The detector sees at most DET_SIDE px (the crops for recognition come from the full image):
                # a card's 30 px text survives, and time and memory fall by half against the default upscaling.
                _model = RapidOCR(det_limit_type="max", det_limit_side_len=DET_SIDE)
    return _model


def decode(data: bytes) -> np.ndarray:
    """A BGR image from JPEG/PNG bytes or the first page of a PDF (rendered with pypdfium2)."""
    import cv2

    kind = sniff(data[:4096], data[-1024:]) if data else None
    if kind == "pdf":
        img = _pdf_first_page(data)
    elif kind in ("jpg", "png"):
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if _pixels(data) <= MAX_PIXELS else None
    else:
        img = None
    if img is None or img.size == 0:
        raise BadImage(Message("ocr_bad_image", N_("The file is not a readable JPG, PNG or PDF image")))
    h, w = img.shape[:2]
    if max(h, w) > MAX_SIDE:
        scale = MAX_SIDE / max(h, w)
        img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    return img


def _pixels(data: bytes) -> int:
    """Width × height from the image header (nothing decoded): a decompression bomb is refused before decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.width * im.height
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return MAX_PIXELS + 1


def _pdf_first_page(data: bytes) -> np.ndarray | None:
    """The first page of a PDF as a BGR array, or None when the PDF cannot be read."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        if len(pdf) < 1:
            return None
        page = pdf[0]
        w, h = page.get_size()
        scale = min(PDF_SCALE, MAX_SIDE / max(w, h, 1))
        rgb = page.render(scale=scale).to_numpy()
    finally:
        pdf.close()
    return np.ascontiguousarray(rgb[..., 2::-1]) if rgb.ndim == 3 else None


def _box_angle(box: np.ndarray) -> tuple[float, float]:
    """(angle of the box's long edge in degrees within (-90, 90], its length)."""
    edges = [box[1] - box[0], box[2] - box[1]]
    edge = max(edges, key=lambda e: float(np.hypot(*e)))
    angle = math.degrees(math.atan2(float(edge[1]), float(edge[0])))
    angle = (angle + 90) % 180 - 90
    return (90.0 if angle == -90 else angle), float(np.hypot(*edge))


def page_angle(boxes) -> float:
    """The dominant text angle of the page: the length-weighted median of the boxes' long edges. Near ±90°
    the two signs mean the same (vertical) direction; callers only compare its size with 45°."""
    pairs = sorted(_box_angle(np.asarray(b, dtype=np.float32)) for b in boxes)
    if not pairs:
        return 0.0
    total, acc = sum(p[1] for p in pairs), 0.0
    for angle, weight in pairs:
        acc += weight
        if acc >= total / 2:
            return angle
    return pairs[-1][0]


def _detect(ocr, img: np.ndarray):
    """Text boxes of an image (N×4×2) or an empty list."""
    boxes, _ = ocr.text_det(img)
    return [] if boxes is None else list(boxes)


def _rotate_boxes(boxes: list, size: tuple[int, int], clockwise: bool) -> list:
    """The boxes as they lie after turning the image by 90° (no second detection), top-left point first."""
    h, w = size
    out = []
    for box in boxes:
        pts = np.asarray(box, dtype=np.float32)
        x, y = pts[:, 0].copy(), pts[:, 1].copy()
        pts = np.stack([h - 1 - y, x] if clockwise else [y, w - 1 - x], axis=1)
        out.append(np.roll(pts, -int(np.argmin(pts.sum(axis=1))), axis=0))
    return out


def _upright(img: np.ndarray, ocr) -> tuple[np.ndarray, list]:
    """Rotate the page by 90° steps so text runs left to right (up to 180°), and its boxes with it."""
    import cv2

    boxes = _detect(ocr, img)
    angle = page_angle(boxes)
    if abs(angle) > 45:
        clockwise = angle < 0
        size = img.shape[:2]
        img = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE if clockwise else cv2.ROTATE_90_COUNTERCLOCKWISE)
        boxes = _rotate_boxes(boxes, size, clockwise)
    return img, boxes


def _crops(ocr, img: np.ndarray, boxes: list) -> list[np.ndarray]:
    """Each box cut out and straightened (the library's own perspective crop)."""
    return ocr.get_crop_img_list(img, [np.asarray(b, dtype=np.float32) for b in boxes])


def _upside_down(ocr, crops: list[np.ndarray]) -> bool:
    """True when the direction classifier, weighted by line width, says most lines read upside down."""
    _, votes, _ = ocr.text_cls(crops)
    flipped = sum(c.shape[1] for c, (label, score) in zip(crops, votes) if label == "180" and score > .5)
    return flipped > sum(c.shape[1] for c in crops) / 2


def _lines(boxes: list, texts: list, angle: float, size: tuple[int, int], flipped: bool) -> list[Line]:
    """Recognised lines with their boxes rotated into the upright frame, sorted top to bottom, left to right."""
    h, w = size
    rad = math.radians(-angle)
    cos, sin = math.cos(rad), math.sin(rad)
    out = []
    for box, (text, score, *_rest) in zip(boxes, texts):
        pts = np.asarray(box, dtype=np.float32) - (w / 2, h / 2)
        xs = pts[:, 0] * cos - pts[:, 1] * sin
        ys = pts[:, 0] * sin + pts[:, 1] * cos
        if flipped:
            xs, ys = -xs, -ys
        if text.strip():
            out.append(Line(text.strip(), float(score), float(xs.min()), float(ys.min()), float(xs.max()),
                            float(ys.max())))
    return sorted(out, key=lambda ln: (ln.cy, ln.x0))


def recognise(img: np.ndarray) -> list[Line]:
    """All text lines of an image, upright and in reading order (the caller holds the run lock)."""
    import cv2

    ocr = model()
    img, boxes = _upright(img, ocr)
    if not boxes:
        return []
    angle = page_angle(boxes)
    crops = _crops(ocr, img, boxes)
    flipped = _upside_down(ocr, crops)
    if flipped:
        crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    texts, _ = ocr.text_rec(crops)
    return _lines(boxes, texts, angle, img.shape[:2], flipped)


def read_lines(data: bytes, wait_seconds: float = 10.0) -> list[Line]:
    """Decode the upload and recognise it, waiting at most `wait_seconds` for the shared engine."""
    img = decode(data)
    if not _run_lock.acquire(timeout=max(0.0, wait_seconds)):
        raise EngineBusy(Message("ocr_busy", N_("The text recognition is busy; please try again in a moment")))
    try:
        return recognise(img)
    finally:
        _trim()
        _run_lock.release()


def _trim() -> None:
    """Give freed memory back to the system (glibc keeps the engine's varying buffers otherwise: RSS creeps)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


if __name__ == "__main__":
    import sys

    t = time.perf_counter()
    model()
    print(f"load {time.perf_counter() - t:.2f}s")
    for path in sys.argv[1:]:
        t = time.perf_counter()
        lines = read_lines(open(path, "rb").read())
        print(path, f"{time.perf_counter() - t:.2f}s")
        for ln in lines:
            print(f"  {ln.score:.2f} y={ln.cy:7.1f} x={ln.x0:7.1f} {ln.text}")
