import React from "react";

type Props = { title: string };

export function Title({ title }: Props) {
  return <h1 className="title">{title}</h1>;
}

export class Panel extends React.Component<Props> {
  render() {
    return <div>{this.props.title}</div>;
  }
}
