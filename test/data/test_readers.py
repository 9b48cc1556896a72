"""Every reader on small files of the real on-disk format, written here the way the real data is."""
import sys

import cv2
import numpy as np
import pytest

from depth_restore_ros.data.datasets import KITTI, NYU, open_dataset, parse_spec
from depth_restore_ros.data.sample import Sample

RNG = np.random.default_rng(0)
P2 = "7.215377e+02 0.000000e+00 6.095593e+02 4.485728e+01 0.000000e+00 7.215377e+02 1.728540e+02 " \
     "2.163791e-01 0.000000e+00 0.000000e+00 1.000000e+00 2.745884e-03"
P3 = "7.215377e+02 0.000000e+00 6.095593e+02 -3.395242e+02 0.000000e+00 7.215377e+02 1.728540e+02 " \
     "2.199936e+00 0.000000e+00 0.000000e+00 1.000000e+00 2.729905e-03"


def rgb_image(h, w):
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


def write_rgb(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def write_u16(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array.astype(np.uint16))


def test_parse_spec_types_query_values():
    assert parse_spec("rosbag:/d/run?image=/cam/image_raw&max_depth=20&stereo=true") == (
        "rosbag", "/d/run", {"image": "/cam/image_raw", "max_depth": 20, "stereo": True})
    with pytest.raises(ValueError, match="unknown dataset kind"):
        open_dataset("lidar:/x")
    with pytest.raises(ValueError, match="KIND:TARGET"):
        open_dataset("kitti")


def make_kitti(root):
    date, drive = "2011_09_26", "2011_09_26_drive_0002_sync"
    (root / date).mkdir(parents=True)
    (root / date / "calib_cam_to_cam.txt").write_text(
        f"calib_time: 09-Jan-2012 13:57:47\ncorner_dist: 9.950000e-02\nP_rect_02: {P2}\nP_rect_03: {P3}\n")
    left, right = rgb_image(30, 100), rgb_image(30, 100)
    for frame in ("0000000069", "0000000070"):
        write_rgb(root / date / drive / "image_02" / "data" / f"{frame}.png", left)
        write_rgb(root / date / drive / "image_03" / "data" / f"{frame}.png", right)
    gt = np.zeros((30, 100), np.uint16)
    gt[20:, ::3] = RNG.integers(256, 80 * 256, gt[20:, ::3].shape)  # sparse lidar rows at the bottom
    # Official depth benchmark layout: <gt>/train/<drive>/proj_depth/groundtruth/image_02/<frame>.png
    write_u16(root / "train" / drive / "proj_depth" / "groundtruth" / "image_02" / "0000000069.png", gt)
    (root / "eigen_test_files.txt").write_text(
        f"{date}/{drive} 0000000069 l\n{date}/{drive} 70 l\n")  # frame 70 has no ground truth
    return left, right, gt


def test_kitti_eigen_split_with_official_ground_truth(tmp_path):
    left, right, gt = make_kitti(tmp_path)
    ds = open_dataset(f"kitti:{tmp_path}?stereo=1")
    assert len(ds) == 1 and ds.skipped == 1 and ds.protocol is KITTI
    s = ds[0]
    assert isinstance(s, Sample) and s.name == "2011_09_26/2011_09_26_drive_0002_sync 0000000069 l"
    np.testing.assert_array_equal(s.rgb, left)
    np.testing.assert_array_equal(s.right_rgb, right)
    np.testing.assert_array_equal(np.isnan(s.depth), gt == 0)
    np.testing.assert_allclose(s.depth[gt > 0], gt[gt > 0] / 256.0, rtol=1e-6)
    assert s.camera == pytest.approx((721.5377, 721.5377, 609.5593, 172.854))
    assert s.baseline_m == pytest.approx((44.85728 + 339.5242) / 721.5377)  # ~0.54 m
    assert KITTI.crop(375, 1242) == (153, 371, 44, 1197)  # the Garg crop as other codebases compute it


def test_kitti_without_split_takes_frames_with_ground_truth(tmp_path):
    make_kitti(tmp_path)
    (tmp_path / "eigen_test_files.txt").unlink()
    ds = open_dataset(f"kitti:{tmp_path}")
    assert len(ds) == 1 and ds[0].right_rgb is None


def write_nyu_mat(path, rgbs, depths):
    """The labelled NYU v2 file: MATLAB v7.3 (HDF5 after a 512-byte MATLAB header), column-major,
    so h5py sees images as (N, 3, W, H) and depths as (N, W, H)."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w", userblock_size=512) as f:
        f.create_dataset("images", data=np.ascontiguousarray(rgbs.transpose(0, 3, 2, 1)))
        f.create_dataset("depths", data=np.ascontiguousarray(depths.transpose(0, 2, 1)).astype(np.float32))
    with open(path, "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2012 "
                b"HDF5 schema 1.00 .")


def test_nyu_mat_v73_layout_and_eigen_split(tmp_path):
    from scipy.io import savemat
    rgbs = RNG.integers(0, 256, (3, 12, 16, 3), dtype=np.uint8)  # H != W catches a missed transpose
    depths = RNG.uniform(0.5, 9.0, (3, 12, 16)).astype(np.float32)
    write_nyu_mat(tmp_path / "nyu_depth_v2_labeled.mat", rgbs, depths)
    ds = open_dataset(f"nyu:{tmp_path / 'nyu_depth_v2_labeled.mat'}", split="all")
    assert len(ds) == 3 and ds.protocol is NYU
    for i in range(3):
        np.testing.assert_array_equal(ds[i].rgb, rgbs[i])
        np.testing.assert_array_equal(ds[i].depth, depths[i])
    assert ds[0].camera == (518.8579, 519.4696, 325.5824, 253.7362)
    savemat(tmp_path / "splits.mat", {"testNdxs": np.array([[1], [3]]), "trainNdxs": np.array([[2]])})
    test = open_dataset(f"nyu:{tmp_path / 'nyu_depth_v2_labeled.mat'}")  # test split by default
    assert [s.name for s in test] == ["nyu_0001", "nyu_0003"]
    np.testing.assert_array_equal(test[1].rgb, rgbs[2])
    assert NYU.crop(480, 640) == (45, 471, 41, 601)


def test_nyu_png_folder(tmp_path):
    rgb = rgb_image(60, 80)  # 1/8 of 640x480: the intrinsics scale with it
    mm = RNG.integers(500, 9000, (60, 80)).astype(np.uint16)
    mm[0, :] = 0
    write_rgb(tmp_path / "rgb_00007.png", rgb)
    write_u16(tmp_path / "depth_00007.png", mm)
    write_rgb(tmp_path / "rgb_00008.png", rgb)  # no depth: not a frame
    ds = open_dataset(f"nyu:{tmp_path}")
    assert len(ds) == 1
    s = ds[0]
    np.testing.assert_array_equal(s.rgb, rgb)
    assert np.isnan(s.depth[0]).all()
    np.testing.assert_allclose(s.depth[1:], mm[1:] / 1000.0, rtol=1e-6)
    assert s.camera[0] == pytest.approx(518.8579 / 8)
    assert s.camera[2] == pytest.approx((325.5824 + 0.5) / 8 - 0.5)


def make_folder(root, baseline=True):
    (root / "camera.yaml").write_text("fx: 100.0\nfy: 101.0\ncx: 39.5\ncy: 29.5\nmax_depth: 20\n"
                                      + ("baseline: 0.12\n" if baseline else ""))
    frames = {}
    for stem, kind in (("a", "png"), ("b", "npy"), ("c", "tiff")):
        rgb, metres = rgb_image(60, 80), RNG.uniform(0.5, 15.0, (60, 80)).astype(np.float32)
        metres[:5] = np.nan
        write_rgb(root / "rgb" / f"{stem}.png", rgb)
        if baseline:
            write_rgb(root / "right" / f"{stem}.png", rgb[:, ::-1])
        (root / "depth").mkdir(exist_ok=True)
        if kind == "png":
            metres = np.round(metres * 1000) / 1000
            write_u16(root / "depth" / "a.png", np.round(np.nan_to_num(metres * 1000)))
        elif kind == "npy":
            np.save(root / "depth" / "b.npy", metres)
        else:
            assert cv2.imwrite(str(root / "depth" / "c.tiff"), metres)
        frames[stem] = (rgb, metres)
    write_rgb(root / "rgb" / "d.png", rgb_image(60, 80))  # no depth: skipped
    return frames


def test_folder_dataset_png_npy_tiff_and_stereo(tmp_path):
    frames = make_folder(tmp_path)
    ds = open_dataset(f"folder:{tmp_path}")
    assert [s.name for s in ds] == ["a", "b", "c"]
    assert ds.protocol.max_depth == 20.0 and ds.protocol.crop is None
    for s in ds:
        rgb, metres = frames[s.name]
        np.testing.assert_array_equal(s.rgb, rgb)
        np.testing.assert_array_equal(s.right_rgb, rgb[:, ::-1])
        np.testing.assert_allclose(s.depth, metres, rtol=1e-5)  # NaN where NaN
        assert s.camera == (100.0, 101.0, 39.5, 29.5) and s.baseline_m == 0.12
    assert open_dataset(f"folder:{tmp_path}", max_depth=10).protocol.max_depth == 10.0


def test_folder_dataset_needs_intrinsics(tmp_path):
    make_folder(tmp_path, baseline=False)
    (tmp_path / "camera.yaml").write_text("fx: 100\n")
    with pytest.raises(ValueError, match="fy"):
        open_dataset(f"folder:{tmp_path}")


def write_bag(path):
    """A real rosbag2 (MCAP storage) as `ros2 bag record` writes it: bgr8 images with row padding,
    32FC1 and 16UC1 depth, CameraInfo; one depth without an image and one image without a depth."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore
    ts = get_typestore(Stores.ROS2_HUMBLE)
    T = ts.types
    Image, Info, Header, Time = (T["sensor_msgs/msg/Image"], T["sensor_msgs/msg/CameraInfo"],
                                 T["std_msgs/msg/Header"], T["builtin_interfaces/msg/Time"])
    h, w = 20, 30
    truth = {}
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conns = {t: writer.add_connection(t, m, typestore=ts) for t, m in (
            ("/cam/image_raw", Image.__msgtype__), ("/cam/depth", Image.__msgtype__),
            ("/cam/camera_info", Info.__msgtype__))}

        def write(topic, msg, sec):
            writer.write(conns[topic], sec * 10**9 + 5, ts.serialize_cdr(msg, msg.__msgtype__))

        for sec in (1, 2, 3, 4):
            header = Header(stamp=Time(sec=sec, nanosec=250), frame_id="cam")
            rgb = rgb_image(h, w)
            padded = np.zeros((h, w * 3 + 6), np.uint8)
            padded[:, : w * 3] = rgb[:, :, ::-1].reshape(h, -1)
            if sec == 1:
                roi = T["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0,
                                                            do_rectify=False)
                write("/cam/camera_info", Info(header=header, height=h, width=w, distortion_model="plumb_bob",
                                               d=np.zeros(5), k=np.array([40.0, 0, 14.5, 0, 41.0, 9.5, 0, 0, 1]),
                                               r=np.eye(3).ravel(), p=np.zeros(12), binning_x=0, binning_y=0,
                                               roi=roi), sec)
            if sec != 4:
                write("/cam/image_raw", Image(header=header, height=h, width=w, encoding="bgr8", is_bigendian=0,
                                              step=w * 3 + 6, data=padded.ravel()), sec)
            metres = RNG.uniform(0.3, 8.0, (h, w)).astype(np.float32)
            if sec == 3:  # millimetres, 0 = unknown
                mm = np.round(metres * 1000).astype(np.uint16)
                mm[0] = 0
                metres = np.where(mm > 0, mm / 1000.0, np.nan).astype(np.float32)
                msg = Image(header=header, height=h, width=w, encoding="16UC1", is_bigendian=0, step=w * 2,
                            data=mm.view(np.uint8).ravel())
            else:
                metres[0, 0] = np.nan
                msg = Image(header=header, height=h, width=w, encoding="32FC1", is_bigendian=0, step=w * 4,
                            data=metres.view(np.uint8).ravel())
            if sec != 2:
                write("/cam/depth", msg, sec)
            truth[sec] = (rgb, metres)
    return truth


def test_rosbag_mcap_pairs_by_exact_stamp(tmp_path):
    pytest.importorskip("rosbags")
    truth = write_bag(tmp_path / "run1")
    for spec in (f"rosbag:{tmp_path / 'run1'}?image=/cam/image_raw&depth=/cam/depth&info=/cam/camera_info",
                 f"rosbag:{next((tmp_path / 'run1').glob('*.mcap'))}"):  # topics guessed, bare .mcap file
        ds = open_dataset(spec)
        assert len(ds) == 2  # stamps 1 and 3: 2 lacks depth, 4 lacks an image
        for s, sec in zip(ds, (1, 3)):
            rgb, metres = truth[sec]
            assert s.name == f"{sec}.000000250"
            np.testing.assert_array_equal(s.rgb, rgb)
            np.testing.assert_allclose(s.depth, metres, rtol=1e-6)
            assert s.camera == (40.0, 41.0, 14.5, 9.5)
        ds.close()


def test_synthetic_mapping():
    module = pytest.importorskip("depth_restore_ros.data.synthetic")
    if not hasattr(module, "SyntheticDataset"):  # the generator package is still being written
        pytest.skip("depth_restore_ros.data.synthetic has no SyntheticDataset yet")
    ds = open_dataset("synthetic:val", length=2, size=(64, 96))
    assert len(ds) == 2 and ds.protocol.min_depth > 0
    s = ds[1]
    assert isinstance(s, Sample) and s.rgb.shape == (64, 96, 3) and s.depth.shape == (64, 96)
    assert s.valid.any()


def test_synthetic_options_and_declared_protocol_reach_the_generator(monkeypatch):
    """The registry's side of the mapping, whatever state the generator is in."""
    import types
    calls = []

    class Fake:
        protocol = types.SimpleNamespace(name="synthetic", min_depth=0.1, max_depth=50.0)
        cache_dir = "/c"

        def __init__(self, split, **options):
            calls.append((split, options))

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return Sample(np.zeros((4, 4, 3), np.uint8), np.ones((4, 4), np.float32), (1, 1, 1, 1),
                          name=str(i))

    fake_module = types.SimpleNamespace(SyntheticDataset=Fake)
    monkeypatch.setitem(sys.modules, "depth_restore_ros.data.synthetic", fake_module)
    ds = open_dataset("synthetic:train?length=3", size=(4, 4))
    assert calls == [("train", {"length": 3, "size": (4, 4)})]
    assert len(ds) == 3 and ds[-1].name == "2" and ds.cache_dir == "/c"
    assert (ds.protocol.min_depth, ds.protocol.max_depth) == (0.1, 50.0)
    with pytest.raises(ValueError, match="train, val or test"):
        open_dataset("synthetic:eval")


def test_middlebury_scene_folder_gives_metric_depth_and_aligned_right_view(tmp_path):
    from depth_restore_ros.data.readers.middlebury import read_pfm, write_pfm
    scene = tmp_path / "Toy-perfect"
    scene.mkdir()
    (scene / "calib.txt").write_text("cam0=[100.0 0 30.5; 0 100.0 20.5; 0 0 1]\n"
                                     "cam1=[100.0 0 34.5; 0 100.0 20.5; 0 0 1]\ndoffs=4.0\n"
                                     "baseline=200.0\nwidth=64\nheight=40\nndisp=64\n")
    rng = np.random.default_rng(0)
    left = rng.integers(0, 256, (40, 64, 3), dtype=np.uint8)
    right = np.zeros_like(left)
    right[:, :-6] = left[:, 6:]                 # disparity as the benchmark stores it: 6 px
    disp = np.full((40, 64), 6.0, np.float32)
    disp[0, :5] = np.inf                        # unknown
    write_pfm(scene / "disp0.pfm", disp)
    assert np.array_equal(read_pfm(scene / "disp0.pfm"), disp)
    cv2.imwrite(str(scene / "im0.png"), left[:, :, ::-1])
    cv2.imwrite(str(scene / "im1.png"), right[:, :, ::-1])
    data = open_dataset(f"middlebury:{tmp_path}")
    sample = data[0]
    assert len(data) == 1 and sample.camera == (100.0, 100.0, 30.5, 20.5) and sample.baseline_m == 0.2
    assert np.isnan(sample.depth[0, :5]).all()
    assert np.allclose(sample.depth[1:], 0.2 * 100.0 / 10.0)          # Z = B f / (d + doffs)
    # after the doffs shift the right view is the left one moved by the full disparity f B / Z = 10
    assert np.array_equal(sample.right_rgb[:, :-12], left[:, 10:-2])


def test_middlebury_pfm_must_be_whole(tmp_path):
    from depth_restore_ros.data.readers.middlebury import read_pfm
    (tmp_path / "d.pfm").write_bytes(b"Pf\n4 4\n-1\n" + b"\0" * 20)
    with pytest.raises(ValueError, match="truncated"):
        read_pfm(tmp_path / "d.pfm")


def test_middlebury_copy_in_scikit_image_is_a_real_metric_scene():
    pytest.importorskip("skimage")
    sample = open_dataset("middlebury:skimage")[0]
    depth = sample.depth[sample.valid]
    assert sample.rgb.shape == (500, 741, 3) and sample.right_rgb.shape == sample.rgb.shape
    assert depth.size > 0.5 * sample.depth.size
    assert 1.0 < np.percentile(depth, 5) < np.percentile(depth, 95) < 8.0   # a motorcycle in a lab
