import { useEffect, useState } from 'react';
import { followNotifications, INITIAL_FEED, type FeedState } from '../api/notificationFeed';

/** The live unread count and newest unread notifications of the signed-in user. */
export function useNotificationFeed(): FeedState {
  const [feed, setFeed] = useState<FeedState>(INITIAL_FEED);
  useEffect(() => followNotifications(setFeed), []);
  return feed;
}
