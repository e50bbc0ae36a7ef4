/**
 * A chart as PNG: its SVG, with the styles it gets from the page's CSS (variables, classes)
 * written onto each element, drawn onto a canvas at the screen's pixel ratio over the panel's
 * background, then encoded. Nothing leaves the page.
 */

/** Presentation properties copied from the live element to its clone (the page's CSS is not in the file). */
const STYLED = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
] as const;

/** A standalone copy of `svg`, every element carrying the styles it has on the page. */
export function standaloneSvg(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const live = [svg, ...svg.querySelectorAll('*')];
  const copies = [clone, ...clone.querySelectorAll('*')];
  live.forEach((element, i) => {
    const style = getComputedStyle(element);
    const copy = copies[i] as SVGElement | undefined;
    if (!copy) return;
    for (const property of STYLED) {
      const value = style.getPropertyValue(property);
      if (value) copy.style.setProperty(property, value);
    }
  });
  const { width, height } = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  return new XMLSerializer().serializeToString(clone);
}

/** Room above the chart for its title, in CSS pixels. */
const TITLE_PX = 22;

export interface PngStyle {
  readonly background: string;
  readonly title: string;
  readonly textColor: string;
}

/** The chart's SVG drawn to a PNG under its title, `background` behind both. */
export async function svgToPng(svg: SVGSVGElement, style: PngStyle): Promise<Blob> {
  const { width, height: chartHeight } = svg.getBoundingClientRect();
  const height = chartHeight + TITLE_PX;
  const scale = Math.max(1, window.devicePixelRatio || 1);
  const url = URL.createObjectURL(new Blob([standaloneSvg(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    context.scale(scale, scale);
    context.fillStyle = style.background;
    context.fillRect(0, 0, width, height);
    context.fillStyle = style.textColor;
    context.font = `600 13px ${getComputedStyle(svg).fontFamily || 'sans-serif'}`;
    context.fillText(style.title, 8, 16);
    context.drawImage(image, 0, TITLE_PX, width, chartHeight);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
