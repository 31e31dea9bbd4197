/** Colours for a chart's roles and for runs overlaid in a comparison, per theme. */
export const ROLE_COLORS = {
  light: { train: '#0969da', validation: '#bf3989', cpu: '#1a7f37', trainer: '#9a6700', gpu: '#8250df', gpuMemory: '#cf222e', lr: '#57606a' },
  dark: { train: '#4493f8', validation: '#f778ba', cpu: '#3fb950', trainer: '#d29922', gpu: '#a371f7', gpuMemory: '#f85149', lr: '#8b949e' },
} as const;
export type ChartRole = keyof (typeof ROLE_COLORS)['light'];

/** Okabe–Ito: distinct for the common forms of colour blindness, in both themes. */
const RUN_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];
const RUN_COLORS_DARK = ['#56b4e9', '#e69f00', '#009e73', '#cc79a7', '#0072b2', '#d55e00', '#f0e442', '#ffffff'];

export function runColor(index: number, dark: boolean): string {
  const palette = dark ? RUN_COLORS_DARK : RUN_COLORS;
  return palette[index % palette.length]!;
}

export function themeInk(dark: boolean) {
  return {
    ink: dark ? '#c9d1d9' : '#24292f',
    faint: dark ? '#30363d' : '#d8dee4',
    marker: dark ? '#d29922' : '#9a6700',
    surface: dark ? '#161b22' : '#ffffff',
  };
}
