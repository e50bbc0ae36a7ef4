/** The region "Task <id>" that `/tasks/<id>` opens: the task's timeline, and the way back. */
import { Panel } from '../../../components/panel';
import { RouteLink } from '../../../components/route-link';
import { HOME_ROUTE } from '../../../lib/view-route';
import { TaskTimeline } from './task-timeline';

export function TaskView({ taskId }: { taskId: string }) {
  return (
    <Panel
      title={
        <>
          Task <span className="mono">{taskId}</span>
        </>
      }
      label={`Task ${taskId}`}
      id="task-view"
      actions={
        <RouteLink route={HOME_ROUTE} className="btn small">
          Close
        </RouteLink>
      }
    >
      <div className="panel-body">
        <TaskTimeline taskId={taskId} />
      </div>
    </Panel>
  );
}
