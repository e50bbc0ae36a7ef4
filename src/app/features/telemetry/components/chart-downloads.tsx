/**
 * "Download CSV" and "Download PNG" for one chart: the series it draws now (CSV), or the chart as
 * drawn (PNG, from its SVG).
 */
import { useState, type RefObject } from 'react';
import type { ChartData } from '../../../worker';
import { chartCsv, chartFileName } from '../utils/chart-csv';
import { downloadBlob } from '../../../lib/download';
import { svgToPng } from '../utils/chart-png';

/** The panel's colours, so the PNG reads like the chart on the page (light or dark). */
function themeColour(name: '--panel' | '--text', fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function ChartDownloads({
  metric,
  label,
  data,
  canvasRef,
}: {
  metric: string;
  /** The chart's title, written above it in the PNG. */
  label: string;
  data: ChartData;
  canvasRef: RefObject<HTMLDivElement | null>;
}) {
  const [error, setError] = useState<string>();
  const empty = data.rows.length === 0;
  const downloadCsv = () => {
    downloadBlob(new Blob([chartCsv(data)], { type: 'text/csv' }), chartFileName(metric, data, 'csv'));
  };
  const downloadPng = () => {
    const svg = canvasRef.current?.querySelector('svg.recharts-surface');
    if (!(svg instanceof SVGSVGElement)) return;
    setError(undefined);
    const style = {
      background: themeColour('--panel', '#ffffff'),
      textColor: themeColour('--text', '#000000'),
      title: label,
    };
    svgToPng(svg, style).then(
      (blob) => downloadBlob(blob, chartFileName(metric, data, 'png')),
      (e: unknown) => setError(`PNG failed: ${(e as Error).message}`),
    );
  };
  return (
    <span className="chart-downloads">
      <button type="button" className="btn small" disabled={empty} onClick={downloadCsv}>
        Download CSV
      </button>
      <button type="button" className="btn small" disabled={empty} onClick={downloadPng}>
        Download PNG
      </button>
      {error && (
        <span role="alert" className="muted">
          {error}
        </span>
      )}
    </span>
  );
}
