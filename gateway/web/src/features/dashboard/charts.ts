import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'

// Only the parts the dashboard draws, so the bundle stays small.
use([CanvasRenderer, BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent])

export const PALETTE = ['#c8161d', '#e6a23c', '#409eff', '#67c23a', '#909399', '#9a60b4', '#ea7ccc', '#3ba272']
