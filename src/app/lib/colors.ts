/**
 * The series palette: 8 hues a person tells apart at a glance, each with a contrast of at least
 * 3:1 (WCAG 2.1, non-text contrast) against the chart background of both themes — white
 * (`--panel` light) and #171b21 (`--panel` dark) — so one palette serves both. Grey is left out:
 * it is the fleet band's colour. Checked in colors.test.ts.
 */
export const PALETTE = [
  '#2f7de1', // blue
  '#e0622a', // orange
  '#1f9d55', // green
  '#d6336c', // pink
  '#8e59d9', // purple
  '#0f9aa8', // teal
  '#b7800b', // ochre
  '#6b8e23', // olive
] as const;

/** Backgrounds the palette is checked against (the chart panels of the light and dark themes). */
export const CHART_BACKGROUNDS = { light: '#ffffff', dark: '#171b21' } as const;

/**
 * The colour of the n-th series. With up to 8 agents, n is the agent's place in the sorted fleet,
 * so an agent keeps its colour across charts and toggles, and no two agents share one; in fleet
 * mode it is the highlighted line's place.
 */
export function seriesColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}
