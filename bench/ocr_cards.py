"""Synthetic 居民身份证 images (front and back) with phone-photo perturbations, for bench/ocr.py and the test
fixtures. Needs Debian's fonts-noto-cjk at generation time only (the tests use committed PNGs).

    python -m bench.ocr_cards --fixtures     # rewrite tests/fixtures/ocr/*.png and truth.json (once)
"""
from __future__ import annotations

import argparse
import io
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.domain import idnumber

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
# (file, face index in the .ttc: 2 is the SC face of Noto CJK collections)
FONTS = {"sans": ("NotoSansCJK-Regular.ttc", 2), "sans_bold": ("NotoSansCJK-Bold.ttc", 2),
         "serif": ("NotoSerifCJK-Regular.ttc", 2), "serif_bold": ("NotoSerifCJK-Bold.ttc", 2)}
MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢" \
           "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
DOUBLE_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红文辉玉萍俊德海斌宇浩然子轩梓涵一诺欣怡" \
        "晨雨思远嘉琪博文佳怡天佑雅婷鹏飞晓东春梅秋菊立新卫东永刚振华彦宏楠琳瑶婉清若汐昊天铭泽"
ETHNICITIES = ["汉"] * 12 + ["回", "满", "壮", "苗", "蒙古", "土家", "维吾尔", "朝鲜", "藏", "彝", "瑶", "白"]
STREETS = "人民路 解放路 中山路 建设路 和平街 新华路 朝阳路 幸福里 光明路 长江路 黄河路 文化路 胜利街 友谊路 学院路".split()
ISSUER_SUFFIX = ("公安局", "公安分局")


@dataclass
class Card:
    """The truth printed on one synthetic card."""

    name: str
    gender: str
    ethnicity: str
    birth_date: str
    address: str
    id_number: str
    issuer: str
    valid_from: str
    valid_to: str | None  # None: 长期


def _regions() -> list[tuple[str, str]]:
    """County-level (code, full name) pairs from the app's region table."""
    table = idnumber._region_table()
    return [(c, n) for c, n in table.items() if not c.endswith("00") and len(n) >= 5]


def random_card(rng: random.Random) -> Card:
    """A card with a valid number, a real-format name and an address from the number's region."""
    code, region = rng.choice(_regions())
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    number = idnumber.make_id(code, birth, rng.randrange(0, 1000))
    surname = rng.choice(DOUBLE_SURNAMES) if rng.random() < 0.05 else rng.choice(SURNAMES)
    name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    address = (f"{region}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
               + (f"{rng.randrange(1, 30)}栋{rng.randrange(1, 30)}0{rng.randrange(1, 6)}室" if rng.random() < .6 else ""))
    start = date(2010, 1, 1) + timedelta(days=rng.randrange(0, 365 * 15))
    age = (start - birth).days // 365
    years = 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None
    end = None if years is None else date(start.year + years, start.month, min(start.day, 28))
    county = region[-3:] if region[-1] in "区县市" else region[-2:]
    issuer = f"{region[:3] if region[2] in '省市' else region[:2]}{county}{rng.choice(ISSUER_SUFFIX)}"
    gender = "男" if int(number[16]) % 2 else "女"
    return Card(name, gender, rng.choice(ETHNICITIES), birth.isoformat(), address, number, issuer,
                start.isoformat(), end.isoformat() if end else None)


def _font(style: str, size: int) -> ImageFont.FreeTypeFont:
    """A CJK font face of the given style."""
    file, index = FONTS[style]
    return ImageFont.truetype(str(FONT_DIR / file), size, index=index)


def _base(rng: random.Random) -> Image.Image:
    """An 856×540 card background: a pale gradient with a faint guilloche pattern."""
    w, h = 856, 540
    y, x = np.mgrid[0:h, 0:w]
    tint = np.array([rng.randint(225, 245), rng.randint(230, 248), rng.randint(235, 252)], dtype=np.float32)
    wave = 6 * np.sin(x / rng.uniform(9, 20) + np.sin(y / 23.0) * 2)[..., None]
    img = np.clip(tint + wave + (x / w * 8)[..., None], 0, 255).astype(np.uint8)
    card = Image.fromarray(img, "RGB")
    return card


def _wrap(text: str, width: int) -> list[str]:
    """Split an address into lines of at most `width` characters (as printed: up to 3 lines)."""
    return [text[i:i + width] for i in range(0, len(text), width)][:3]


def render_front(card: Card, rng: random.Random) -> Image.Image:
    """The side with the photo: name, sex, ethnicity, birth date, address, number."""
    img = _base(rng)
    d = ImageDraw.Draw(img)
    style = rng.choice(("sans", "serif", "sans_bold", "serif_bold"))
    label, value = _font("sans", 26), _font(style, 32)
    blue, black = (40, 90, 160), (20, 20, 20)
    d.text((50, 52), "姓  名", font=label, fill=blue)
    d.text((150, 46), card.name, font=value, fill=black)
    d.text((50, 118), "性  别", font=label, fill=blue)
    d.text((150, 112), card.gender, font=value, fill=black)
    d.text((260, 118), "民  族", font=label, fill=blue)
    d.text((360, 112), card.ethnicity, font=value, fill=black)
    b = date.fromisoformat(card.birth_date)
    d.text((50, 184), "出  生", font=label, fill=blue)
    d.text((150, 178), f"{b.year}", font=value, fill=black)
    d.text((240, 184), "年", font=label, fill=blue)
    d.text((285, 178), f"{b.month}", font=value, fill=black)
    d.text((330, 184), "月", font=label, fill=blue)
    d.text((375, 178), f"{b.day}", font=value, fill=black)
    d.text((420, 184), "日", font=label, fill=blue)
    d.text((50, 250), "住  址", font=label, fill=blue)
    for i, line in enumerate(_wrap(card.address, 11)):
        d.text((150, 244 + i * 44), line, font=value, fill=black)
    d.text((50, 450), "公民身份号码", font=label, fill=blue)
    d.text((270, 444), card.id_number, font=ImageFont.truetype(str(MONO), 36), fill=black)
    # the photo: a grey panel with a head and shoulders
    d.rectangle((590, 60, 800, 330), fill=(205, 210, 215))
    d.ellipse((650, 100, 740, 210), fill=(120, 110, 100))
    d.pieslice((610, 220, 780, 400), 180, 360, fill=(70, 70, 80))
    return img


def render_back(card: Card, rng: random.Random) -> Image.Image:
    """The side with the emblem: issuing authority and validity period."""
    img = _base(rng)
    d = ImageDraw.Draw(img)
    d.ellipse((60, 50, 200, 190), outline=(200, 30, 30), width=8)
    d.ellipse((100, 90, 160, 150), fill=(220, 170, 40))
    d.text((270, 70), "中华人民共和国", font=_font("serif_bold", 46), fill=(30, 30, 30))
    d.text((250, 170), "居民身份证", font=_font("sans_bold", 72), fill=(30, 30, 30))
    label, value = _font("sans", 26), _font(rng.choice(("sans", "serif")), 30)
    d.text((140, 390), "签发机关", font=label, fill=(30, 30, 30))
    d.text((280, 385), card.issuer, font=value, fill=(20, 20, 20))
    d.text((140, 450), "有效期限", font=label, fill=(30, 30, 30))
    start = card.valid_from.replace("-", ".")
    end = card.valid_to.replace("-", ".") if card.valid_to else "长期"
    d.text((280, 445), f"{start}-{end}", font=value, fill=(20, 20, 20))
    return img


PERTURBATIONS = ("clean", "skew", "rot90", "rot180", "rot270", "jpeg50", "desk", "shadow", "photo")


def _desk(card: Image.Image, rng: random.Random, angle: float) -> Image.Image:
    """The card at an angle on a textured desk, a bigger frame around it."""
    w, h = card.size
    pad = rng.randint(80, 220)
    desk = np.full((h + 2 * pad, w + 2 * pad, 3), [rng.randint(60, 160)] * 3, dtype=np.float32)
    desk += np.array([rng.randint(0, 40), rng.randint(0, 25), 0], dtype=np.float32)
    desk += np.random.default_rng(rng.randrange(1 << 30)).normal(0, 8, desk.shape)
    bg = Image.fromarray(np.clip(desk, 0, 255).astype(np.uint8), "RGB")
    mask = Image.new("L", card.size, 255)
    rot, rmask = card.rotate(angle, expand=True, resample=Image.BICUBIC), mask.rotate(angle, expand=True)
    bg.paste(rot, ((bg.width - rot.width) // 2, (bg.height - rot.height) // 2), rmask)
    return bg


def _shadow(img: Image.Image, rng: random.Random) -> Image.Image:
    """A soft diagonal shadow darkening part of the image."""
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    edge = (x * rng.uniform(-1, 1) + y * rng.uniform(0.3, 1)) / (w + h)
    shade = 1 - rng.uniform(0.3, 0.5) / (1 + np.exp(-(edge - rng.uniform(0.2, 0.5)) * 25))
    return Image.fromarray(np.clip(arr * shade[..., None], 0, 255).astype(np.uint8), "RGB")


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    """Round-trip through JPEG at the given quality."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def perturb(img: Image.Image, kind: str, rng: random.Random) -> Image.Image:
    """Apply one named perturbation (the "photo" kind combines desk, skew, shadow, blur and JPEG 50-80)."""
    if kind == "skew":
        return _desk(img, rng, rng.choice((-1, 1)) * rng.uniform(5, 15))
    if kind in ("rot90", "rot180", "rot270"):
        return img.rotate(int(kind[3:]), expand=True)
    if kind == "jpeg50":
        return _jpeg(img, 50)
    if kind == "desk":
        return _desk(img, rng, rng.uniform(-3, 3))
    if kind == "shadow":
        return _shadow(img, rng)
    if kind == "photo":
        out = _shadow(_desk(img, rng, rng.uniform(-15, 15)), rng).filter(ImageFilter.GaussianBlur(rng.uniform(0, 1)))
        if rng.random() < 0.3:
            out = out.rotate(rng.choice((90, 180, 270)), expand=True)
        return _jpeg(out, rng.randint(50, 80))
    return img


def encoded(img: Image.Image, kind: str) -> bytes:
    """The bytes a user would upload: JPEG for photos, PNG for the rest."""
    buf = io.BytesIO()
    if kind in ("jpeg50", "photo"):
        img.save(buf, "JPEG", quality=95)
    else:
        img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


FIXTURES = (("front_clean", "front", "clean", 1), ("front_photo", "front", "photo", 2),
            ("front_rot90", "front", "rot270", 3), ("back_skew", "back", "skew", 4), ("back_rot180", "back", "rot180", 5))


def write_fixtures(out: Path) -> None:
    """Generate the test fixtures once: a few small PNGs plus truth.json."""
    out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, side, kind, seed in FIXTURES:
        rng = random.Random(seed)
        card = random_card(rng)
        img = (render_front if side == "front" else render_back)(card, rng)
        img = perturb(img, kind, rng)
        img.thumbnail((900, 900))
        # 256 adaptive colours: the desk's noise would make a true-colour PNG 5× larger
        img.convert("RGB").quantize(256).save(out / f"{name}.png", "PNG", optimize=True)
        truth[name] = {"side": side, **asdict(card)}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixtures", action="store_true", help="rewrite tests/fixtures/ocr")
    if parser.parse_args().fixtures:
        write_fixtures(Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ocr")
